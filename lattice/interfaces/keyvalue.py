"""``wasmcloud:keyvalue`` (docs/protocol.md §9.2): what an actor calls on a key-value provider, and the messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from lattice.interfaces._fields import I32_MAX, I32_MIN, U32_MAX, WireStruct, as_map, get_bool, get_int, get_str

CONTRACT_ID = "wasmcloud:keyvalue"


@dataclass(frozen=True)
class GetResponse(WireStruct):
    value: str = ""
    exists: bool = False

    def to_wire(self) -> dict[str, Any]:
        return {"value": self.value, "exists": self.exists}

    @classmethod
    def from_wire(cls, body: Any) -> Self:
        m = as_map(body, "GetResponse")
        return cls(get_str(m, "value", "GetResponse"), get_bool(m, "exists", "GetResponse"))


@dataclass(frozen=True)
class SetRequest(WireStruct):
    """``expires`` is in seconds; 0 means never."""

    key: str
    value: str
    expires: int = 0

    def to_wire(self) -> dict[str, Any]:
        return {"key": self.key, "value": self.value, "expires": self.expires}

    @classmethod
    def from_wire(cls, body: Any) -> Self:
        w = "SetRequest"
        m = as_map(body, w)
        return cls(get_str(m, "key", w), get_str(m, "value", w), get_int(m, "expires", w, 0, U32_MAX))


@dataclass(frozen=True)
class IncrementRequest(WireStruct):
    key: str
    value: int

    def to_wire(self) -> dict[str, Any]:
        return {"key": self.key, "value": self.value}

    @classmethod
    def from_wire(cls, body: Any) -> Self:
        w = "IncrementRequest"
        m = as_map(body, w)
        return cls(get_str(m, "key", w), get_int(m, "value", w, I32_MIN, I32_MAX))


@dataclass(frozen=True)
class _ListValue(WireStruct):
    """``{listName, value}``: the shape of ListAddRequest and ListDelRequest."""

    list_name: str
    value: str

    def to_wire(self) -> dict[str, Any]:
        return {"listName": self.list_name, "value": self.value}

    @classmethod
    def from_wire(cls, body: Any) -> Self:
        m = as_map(body, cls.__name__)
        return cls(get_str(m, "listName", cls.__name__), get_str(m, "value", cls.__name__))


@dataclass(frozen=True)
class ListAddRequest(_ListValue):
    pass


@dataclass(frozen=True)
class ListDelRequest(_ListValue):
    pass


@dataclass(frozen=True)
class ListRangeRequest(WireStruct):
    """Inclusive, 0-based; negative indices count from the end (as Redis LRANGE)."""

    list_name: str
    start: int = 0
    stop: int = -1

    def to_wire(self) -> dict[str, Any]:
        return {"listName": self.list_name, "start": self.start, "stop": self.stop}

    @classmethod
    def from_wire(cls, body: Any) -> Self:
        w = "ListRangeRequest"
        m = as_map(body, w)
        return cls(
            get_str(m, "listName", w),
            get_int(m, "start", w, I32_MIN, I32_MAX),
            get_int(m, "stop", w, I32_MIN, I32_MAX),
        )


@dataclass(frozen=True)
class _SetValue(WireStruct):
    """``{setName, value}``: the shape of SetAddRequest and SetDelRequest."""

    set_name: str
    value: str

    def to_wire(self) -> dict[str, Any]:
        return {"setName": self.set_name, "value": self.value}

    @classmethod
    def from_wire(cls, body: Any) -> Self:
        m = as_map(body, cls.__name__)
        return cls(get_str(m, "setName", cls.__name__), get_str(m, "value", cls.__name__))


@dataclass(frozen=True)
class SetAddRequest(_SetValue):
    pass


@dataclass(frozen=True)
class SetDelRequest(_SetValue):
    pass
