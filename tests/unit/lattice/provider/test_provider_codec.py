"""Payload codecs from type hints: what travels as what, and what is refused."""

from __future__ import annotations

from typing import Any

import pytest

from lattice.interfaces import GetResponse, SetRequest
from lattice.provider.codec import codec_for
from lattice.provider.errors import ProviderDefinitionError
from lattice.wire import MessageMalformed, pack, unpack


@pytest.mark.parametrize(
    ("hint", "value", "wire"),
    [
        (str, "héllo", "héllo"),
        (bytes, b"\x00\x01", b"\x00\x01"),
        (bool, True, True),
        (int, -5, -5),
        (float, 1.5, 1.5),
        (list[str], ["a", "b"], ["a", "b"]),
        (dict[str, int], {"a": 1}, {"a": 1}),
        (Any, {"x": [1, "y"]}, {"x": [1, "y"]}),
    ],
)
def test_round_trip(hint: Any, value: Any, wire: Any) -> None:
    codec = codec_for(hint, "t")
    assert unpack(codec.encode(value)) == wire
    assert codec.decode(codec.encode(value)) == value


def test_str_accepts_bin_and_bytes_accept_str() -> None:
    assert codec_for(str, "t").decode(pack(b"bin text")) == "bin text"
    assert codec_for(bytes, "t").decode(pack("str body")) == b"str body"


def test_interface_types_travel_as_their_maps() -> None:
    codec = codec_for(SetRequest, "t")
    assert unpack(codec.encode(SetRequest("k", "v", 3))) == {"key": "k", "value": "v", "expires": 3}
    assert codec.decode(pack({"key": "k", "value": "v"})) == SetRequest("k", "v", 0)


def test_none_is_an_empty_payload_both_ways() -> None:
    codec = codec_for(None, "t")
    assert codec.encode(None) == b""
    assert codec.decode(b"anything") is None


@pytest.mark.parametrize(
    ("hint", "data", "message"),
    [
        (int, pack("1"), "payload must be an integer, got a string"),
        (int, pack(True), "payload must be an integer, got a boolean"),
        (bool, pack(1), "payload must be a boolean"),
        (str, pack(None), "payload must be a string, got null"),
        (str, pack(b"\xff"), "not UTF-8"),
        (list[str], pack(["a", 1]), r"payload\[1\] must be a string, got an integer"),
        (dict[str, int], pack([1]), "payload must be a map of strings to integers, got a list"),
        (GetResponse, pack("x"), "GetResponse must be a msgpack map"),
        (str, b"", "payload is empty"),
        (str, b"\xc1", "not valid msgpack"),
    ],
)
def test_mismatches_are_malformed(hint: Any, data: bytes, message: str) -> None:
    with pytest.raises(MessageMalformed, match=message):
        codec_for(hint, "t").decode(data)


def test_a_handler_returning_the_wrong_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="returned int, not a string"):
        codec_for(str, "Greeter.Greet output").encode(5)


@pytest.mark.parametrize("hint", [set[str], str | None, object, tuple[int, int], dict[int, str]])
def test_unsupported_types_are_refused_when_the_class_is_defined(hint: Any) -> None:
    with pytest.raises(ProviderDefinitionError, match="not supported"):
        codec_for(hint, "t")
