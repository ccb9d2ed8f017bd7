"""``wasmcloud:keyvalue`` (docs/protocol.md §9.2): what an actor calls on a key-value provider, and the messages."""

from __future__ import annotations

import msgspec

from lattice.codec import I32, U32
from lattice.wire.codec import WireStruct

CONTRACT_ID = "wasmcloud:keyvalue"


class GetResponse(WireStruct, frozen=True):
    value: str = ""
    exists: bool = False


class SetRequest(WireStruct, frozen=True):
    """``expires`` is in seconds; 0 means never."""

    key: str
    value: str
    expires: U32 = 0


class IncrementRequest(WireStruct, frozen=True):
    key: str
    value: I32


class _ListValue(WireStruct, frozen=True):
    """``{listName, value}``: the shape of ListAddRequest and ListDelRequest."""

    list_name: str = msgspec.field(name="listName")
    value: str


class ListAddRequest(_ListValue, frozen=True):
    pass


class ListDelRequest(_ListValue, frozen=True):
    pass


class ListRangeRequest(WireStruct, frozen=True):
    """Inclusive, 0-based; negative indices count from the end (as Redis LRANGE); absent on the wire reads as 0."""

    list_name: str = msgspec.field(name="listName")
    start: I32
    stop: I32


class _SetValue(WireStruct, frozen=True):
    """``{setName, value}``: the shape of SetAddRequest and SetDelRequest."""

    set_name: str = msgspec.field(name="setName")
    value: str


class SetAddRequest(_SetValue, frozen=True):
    pass


class SetDelRequest(_SetValue, frozen=True):
    pass
