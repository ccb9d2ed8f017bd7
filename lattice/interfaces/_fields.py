"""Field readers shared by the interface types: tolerant of str/bin and unknown keys, strict about types.

A missing field takes its default (as the generated wasmbus-rpc structs do with ``#[serde(default)]``); a field of
the wrong type, or an integer out of its range, is :class:`~lattice.wire.errors.MessageMalformed`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from lattice.wire.codec import get_bytes, get_str, pack, unpack
from lattice.wire.errors import MessageMalformed

U16_MAX = 2**16 - 1
U32_MAX = 2**32 - 1
I32_MIN = -(2**31)
I32_MAX = 2**31 - 1

__all__ = [
    "I32_MAX",
    "I32_MIN",
    "U16_MAX",
    "U32_MAX",
    "WireStruct",
    "as_map",
    "get_bool",
    "get_bytes",
    "get_headers",
    "get_int",
    "get_opt_str",
    "get_str",
    "headers_to_wire",
]


def as_map(body: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise MessageMalformed(f"{what} must be a msgpack map, got {type(body).__name__}")
    return body


def get_int(body: Mapping[str, Any], key: str, what: str, low: int, high: int, default: int = 0) -> int:
    value = body.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise MessageMalformed(f"{what}.{key} must be an integer, got {type(value).__name__}")
    if not low <= value <= high:
        raise MessageMalformed(f"{what}.{key} = {value} is out of range [{low}, {high}]")
    return value


def get_bool(body: Mapping[str, Any], key: str, what: str, default: bool = False) -> bool:
    value = body.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise MessageMalformed(f"{what}.{key} must be a boolean, got {type(value).__name__}")
    return value


def get_opt_str(body: Mapping[str, Any], key: str, what: str) -> str | None:
    return None if body.get(key) is None else get_str(body, key, what)


def get_headers(body: Mapping[str, Any], key: str, what: str) -> dict[str, tuple[str, ...]]:
    """``map<str, [str]>``; a bare string value counts as a one-element list."""
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise MessageMalformed(f"{what}.{key} must be a map of header names to lists of values")
    out: dict[str, tuple[str, ...]] = {}
    for name, values in value.items():
        name_text = _text(name, f"{what}.{key} name")
        items = [values] if isinstance(values, str | bytes) else values
        if not isinstance(items, list):
            raise MessageMalformed(f"{what}.{key}[{name_text!r}] must be a list of strings")
        out[name_text] = tuple(_text(v, f"{what}.{key}[{name_text!r}]") for v in items)
    return out


def headers_to_wire(headers: Mapping[str, tuple[str, ...]]) -> dict[str, list[str]]:
    return {name: list(values) for name, values in headers.items()}


def _text(value: Any, what: str) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MessageMalformed(f"{what} is not UTF-8") from exc
    if not isinstance(value, str):
        raise MessageMalformed(f"{what} must be a string, got {type(value).__name__}")
    return value


class WireStruct:
    """Mixin of the interface types: ``to_wire``/``from_wire`` plus msgpack ``encode``/``decode``."""

    def to_wire(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def from_wire(cls, body: Any) -> Self:
        raise NotImplementedError

    def encode(self) -> bytes:
        return pack(self.to_wire())

    @classmethod
    def decode(cls, data: bytes) -> Self:
        return cls.from_wire(unpack(data))
