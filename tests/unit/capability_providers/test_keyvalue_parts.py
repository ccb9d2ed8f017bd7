"""Key-value provider parts without a backend: Redis semantics, key escaping, settings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wasmlattice_keyvalue.errors import IncrementOverflow, NotAnInteger
from wasmlattice_keyvalue.jetstream import decode_key, encode_key
from wasmlattice_keyvalue.semantics import incremented, list_range, parse_integer
from wasmlattice_keyvalue.settings import Backend, LinkSettings, ProviderDefaults

from lattice.provider import LinkValues, ProviderConfigError


def lrange_reference(items: list[str], start: int, stop: int) -> list[str]:
    """Redis t_list.c lrangeCommand, transcribed."""
    n = len(items)
    if start < 0:
        start = n + start
    if stop < 0:
        stop = n + stop
    if start < 0:
        start = 0
    if start > stop or start >= n:
        return []
    if stop >= n:
        stop = n - 1
    return items[start : stop + 1]


@given(st.lists(st.text(max_size=2), max_size=8), st.integers(-12, 12), st.integers(-12, 12))
def test_list_range_matches_redis(items: list[str], start: int, stop: int) -> None:
    assert list_range(items, start, stop) == lrange_reference(items, start, stop)


@pytest.mark.parametrize("text", ["0", "-1", "42", "9223372036854775807"])
def test_integers(text: str) -> None:
    assert parse_integer(text) == int(text)


@pytest.mark.parametrize("text", ["", " 1", "+1", "01", "-0", "1.0", "1e3", "12345678901234567890"])
def test_not_integers(text: str) -> None:
    with pytest.raises(NotAnInteger):
        parse_integer(text)


def test_increment_range_is_i32() -> None:
    assert incremented(None, 5) == 5
    assert incremented("2147483646", 1) == 2147483647
    with pytest.raises(IncrementOverflow):
        incremented("2147483647", 1)


@given(st.text())
def test_key_escaping_round_trips_into_the_kv_alphabet(key: str) -> None:
    encoded = encode_key(key)
    assert decode_key(encoded) == key
    assert all(c.isascii() and (c.isalnum() or c in "_-/=") for c in encoded)
    assert encoded


def test_settings_choose_the_backend() -> None:
    defaults = ProviderDefaults()
    assert LinkSettings.parse(LinkValues({}), "Ma", defaults).backend is Backend.JETSTREAM
    assert LinkSettings.parse(LinkValues({}), "Ma", defaults).bucket == "wasmlattice_Ma"
    redis = LinkSettings.parse(LinkValues({"url": "redis://h:1/2"}), "Ma", defaults)
    assert (redis.backend, redis.redis_url) == (Backend.REDIS, "redis://h:1/2")
    from_config = ProviderDefaults.parse('{"URL": "redis://cfg:6379"}')
    assert LinkSettings.parse(LinkValues({}), "Ma", from_config).redis_url == "redis://cfg:6379"
    assert from_config.backend is Backend.REDIS
    forced = LinkSettings.parse(LinkValues({"BACKEND": "JetStream", "url": "redis://x"}), "Ma", defaults)
    assert forced.backend is Backend.JETSTREAM


def test_replicas_of_created_buckets() -> None:
    defaults = ProviderDefaults()
    assert LinkSettings.parse(LinkValues({}), "Ma", defaults).replicas == 1
    assert LinkSettings.parse(LinkValues({"Replicas": "3"}), "Ma", defaults).replicas == 3
    three = ProviderDefaults.parse('{"replicas": 3}')
    assert LinkSettings.parse(LinkValues({}), "Ma", three).replicas == 3
    assert LinkSettings.parse(LinkValues({"REPLICAS": "1"}), "Ma", three).replicas == 1
    for bad in ("0", "6", "three"):
        with pytest.raises(ProviderConfigError, match="link value replicas"):
            LinkSettings.parse(LinkValues({"REPLICAS": bad}), "Ma", defaults)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ('{"replicas": 7}', "out of range"),
        ("{", "not JSON"),
        ("[]", "must be a JSON object"),
        ('{"backend": "mem"}', "not one of"),
        ('{"url": "x"}', "not a Redis URL"),
    ],
)
def test_bad_provider_config(config: str, message: str) -> None:
    with pytest.raises(ProviderConfigError, match=message):
        ProviderDefaults.parse(config)


def test_redis_passwords_stay_out_of_messages() -> None:
    with pytest.raises(ProviderConfigError) as caught:
        LinkSettings.parse(LinkValues({"url": "http://user:hunter2@h"}), "Ma", ProviderDefaults())
    assert "hunter2" not in str(caught.value)
