"""How the CLI fills its lattice settings: flags over the host's environment table over defaults."""

from __future__ import annotations

import argparse

import pytest

from lattice import keys
from lattice.cli import output
from lattice.cli.common import connection_flags, key_value, settings
from lattice.cli.output import CliError
from lattice.control.call import json_to_msgpack, msgpack_to_json
from lattice.control.errors import PayloadError


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(parents=[connection_flags()])
    return parser.parse_args(list(argv))


def test_defaults_without_environment() -> None:
    found = settings(parse(), env={})
    assert (found.nats.url, found.lattice, found.ctl_prefix) == ("nats://127.0.0.1:4222", "default", "wasmbus.ctl")
    assert (found.timeouts.request_s, found.nats.max_reconnect_attempts) == (2.0, 0)


def test_environment_uses_the_hosts_variable_names() -> None:
    env = {
        "WASMCLOUD_CTL_HOST": "10.1.2.3",
        "WASMCLOUD_CTL_PORT": "4333",
        "WASMCLOUD_LATTICE_PREFIX": "prod",
        "WASMCLOUD_CTL_TOPIC_PREFIX": "acme.ctl",
        "WASMCLOUD_RPC_TIMEOUT_MS": "750",
    }
    found = settings(parse(), env=env)
    assert (found.nats.url, found.lattice, found.ctl_prefix) == ("nats://10.1.2.3:4333", "prod", "acme.ctl")
    assert found.rpc_timeout_ms == 750


def test_flags_override_the_environment() -> None:
    env = {"WASMCLOUD_CTL_HOST": "10.1.2.3", "WASMCLOUD_LATTICE_PREFIX": "prod"}
    found = settings(parse("--nats-url", "nats://127.0.0.1:5000", "-x", "dev", "--timeout", "0.5"), env=env)
    assert (found.nats.url, found.lattice, found.timeouts.request_s, found.rpc_timeout_ms) == (
        "nats://127.0.0.1:5000",
        "dev",
        0.5,
        500,
    )


def test_nats_seed_flag_replaces_environment_auth() -> None:
    user = keys.KeyPair.create(keys.KeyType.USER)
    found = settings(parse("--nats-seed", user.seed), env={})
    assert found.nats.seed == user.seed


def test_cluster_seed_comes_from_the_environment() -> None:
    cluster = keys.KeyPair.create(keys.KeyType.CLUSTER)
    assert settings(parse(), env={"WASMCLOUD_CLUSTER_SEED": cluster.seed}).cluster_seed == cluster.seed


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (("--nats-url", "http://x"), {}, "bad NATS URL"),
        ((), {"WASMCLOUD_CTL_PORT": "many"}, "WASMCLOUD_CTL_PORT"),
        (("-x", "a.b"), {}, "--lattice"),
        (("--nats-jwt", "eyJhbGciOi.x.y"), {}, "seed"),
    ],
)
def test_bad_settings_are_usage_errors(argv: tuple[str, ...], env: dict[str, str], message: str) -> None:
    with pytest.raises(CliError, match=message) as caught:
        settings(parse(*argv), env=env)
    assert caught.value.exit_code == output.EXIT_USAGE


def test_key_value() -> None:
    assert key_value("a=b=c") == ("a", "b=c")
    assert key_value("a=") == ("a", "")
    with pytest.raises(argparse.ArgumentTypeError, match="KEY=VALUE"):
        key_value("novalue")


def test_json_and_msgpack_conversions() -> None:
    packed = json_to_msgpack('{"a": [1, "two", null], "b": {"c": true}}')
    assert msgpack_to_json(packed) == {"a": [1, "two", None], "b": {"c": True}}
    assert json_to_msgpack("  ") == b""
    assert msgpack_to_json(b"") is None
    assert msgpack_to_json(b"\xc4\x02hi") == "hi"  # bin that is UTF-8 becomes text
    assert msgpack_to_json(b"\xc4\x02\xff\x00") == [255, 0]
    with pytest.raises(PayloadError, match="--raw"):
        msgpack_to_json(b"\xc1")
    with pytest.raises(PayloadError, match="not valid JSON"):
        json_to_msgpack("{")
