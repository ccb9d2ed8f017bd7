"""The codec's own rules: the strict and lenient paths agree, generic msgpack matches msgpack-python, declarations
are checked, and every refusal is a MalformedPayload."""

from __future__ import annotations

from typing import Any

import msgpack
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lattice.codec import JSON, MSGPACK, MalformedPayload, Omit, Required, Struct, ValueCodec, pack
from lattice.codec.lenient import Ctx, struct_from_body
from lattice.codec.plan import plan_of
from lattice.control import PayloadError
from lattice.wire import MessageMalformed
from tests.unit.lattice.codec.codec_types import payload_types

TYPES = payload_types()
scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text(max_size=8) | st.binary(max_size=8)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


def _lenient(cls: type[Struct], data: bytes) -> Any:
    fmt, error = cls.FORMAT, cls.MALFORMED
    try:
        return struct_from_body(cls, fmt.loads(data, cls.what(), 1 << 20, error), cls.what(), Ctx(fmt, error))
    except MalformedPayload:
        return "refused"


@pytest.mark.parametrize("cls", [c for c in TYPES if plan_of(c).fast], ids=lambda c: c.__name__)
@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_strict_path_never_disagrees_with_the_lenient_one(cls: type[Struct], data: st.DataObject) -> None:
    names = [f.name for f in plan_of(cls).fields]
    body = data.draw(st.dictionaries(st.sampled_from(names) | st.text(max_size=4), values, max_size=len(names) + 1))
    if cls.FORMAT is JSON:
        body = msgspec.json.decode(msgspec.json.encode(body, enc_hook=repr))
    encoded = cls.FORMAT.encoder.encode(body) if cls.FORMAT is MSGPACK else msgspec.json.encode(body)
    try:
        fast = plan_of(cls).decoder(cls.FORMAT).decode(encoded)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return
    assert fast.problem() is not None or _lenient(cls, encoded) == fast


@given(values)
def test_pack_is_byte_for_byte_msgpack_python(value: Any) -> None:
    assert pack(value) == msgpack.packb(value, use_bin_type=True)


def test_every_refusal_is_a_malformed_payload() -> None:
    assert issubclass(MessageMalformed, MalformedPayload)
    assert issubclass(PayloadError, MalformedPayload)
    assert issubclass(PayloadError, ValueError)
    assert {c.MALFORMED for c in TYPES} == {MessageMalformed, PayloadError}


def test_a_value_codec_is_strict_then_lenient() -> None:
    codec = ValueCodec(dict[str, list[bytes]], "things", MSGPACK, MessageMalformed)
    assert codec.decode(pack({"a": [b"x"]})) == {"a": [b"x"]}
    assert codec.decode(pack({"a": ["text", [1, 2]]})) == {"a": [b"text", b"\x01\x02"]}
    with pytest.raises(MessageMalformed, match=r"things\['a'\]\[0\] must be bytes, got an integer"):
        codec.decode(pack({"a": [3]}))
    with pytest.raises(TypeError, match="cannot carry"):
        ValueCodec(set[str], "x")


def test_declarations_are_checked_when_first_used() -> None:
    class Bad(Struct, frozen=True):
        x: Required[int] = 0

    with pytest.raises(TypeError, match="Required field cannot have a default"):
        Bad.decode(pack({"x": 1}))

    class Unordered(Struct, frozen=True):
        WIRE_ORDER = ("b", "nope")
        b: Omit[int | None] = None

    with pytest.raises(TypeError, match="neither a field nor a property"):
        Unordered().encode()
