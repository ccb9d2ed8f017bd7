"""Provider and interface payloads under garbage: every interface type and the input codec of every operation the
three bundled providers serve (all KeyValue.*, Messaging.*) decode any bytes to a value or raise
:class:`MessageMalformed`; what decodes re-encodes to something that decodes to the same value."""

from __future__ import annotations

import contextlib
from typing import Any

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wasmlattice_httpserver.provider import HttpServerProvider
from wasmlattice_keyvalue.provider import KeyValueProvider
from wasmlattice_messaging.provider import MessagingProvider

from lattice import interfaces
from lattice.interfaces import WireStruct
from lattice.provider.operation import Operation
from lattice.wire import MessageMalformed, pack

STRUCTS: list[type[WireStruct]] = [
    cls
    for cls in (getattr(interfaces, name) for name in interfaces.__all__)
    if isinstance(cls, type) and issubclass(cls, WireStruct) and cls is not WireStruct
]
OPERATIONS: list[Operation] = [
    op for cls in (KeyValueProvider, MessagingProvider, HttpServerProvider) for op in cls.operations.values()
]
FIELD_NAMES = ["key", "value", "expires", "listName", "setName", "start", "stop", "subject", "replyTo", "body",
               "timeoutMs", "method", "path", "queryString", "header", "statusCode", "exists", "level", "text",
               "min", "max"]  # fmt: skip
ints = st.integers(-(2**63), 2**64 - 1)
msgpack_values = st.recursive(
    st.none() | st.booleans() | ints | st.floats() | st.text(max_size=12) | st.binary(max_size=24),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10) | ints, inner, max_size=4),
    max_leaves=16,
)
typed_maps = st.dictionaries(st.sampled_from(FIELD_NAMES), msgpack_values, max_size=6)
payloads = st.binary(max_size=256) | msgpack_values.map(pack) | typed_maps.map(pack)


def test_every_bundled_operation_is_covered() -> None:
    names = {op.name for op in OPERATIONS}
    assert {f"KeyValue.{m}" for m in ("Get", "Set", "Increment", "SetUnion", "ListRange")} <= names
    assert {"Messaging.Publish", "Messaging.Request"} <= names
    assert len(names) == 17  # 15 KeyValue + 2 Messaging; the httpserver provider serves none (it calls actors)


@pytest.mark.parametrize("cls", STRUCTS, ids=lambda c: c.__name__)
@settings(max_examples=50)
@given(data=payloads)
def test_interface_types_decode_or_raise_malformed(cls: type[WireStruct], data: bytes) -> None:
    try:
        value = cls.decode(data)
    except MessageMalformed:
        return
    assert cls.decode(value.encode()) == value


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda o: o.name)
@settings(max_examples=40)
@given(data=payloads)
def test_operation_inputs_decode_or_raise_malformed(op: Operation, data: bytes) -> None:
    try:
        value = op.input.decode(data)
    except MessageMalformed:
        return
    assert op.input.decode(op.input.encode(value)) == value


@given(value=msgpack_values)
def test_wrong_typed_values_never_escape_as_other_errors(value: Any) -> None:
    data = msgpack.packb(value, use_bin_type=True)
    for cls in STRUCTS:
        with contextlib.suppress(MessageMalformed):
            cls.from_wire(msgpack.unpackb(data, raw=False, strict_map_key=False))
