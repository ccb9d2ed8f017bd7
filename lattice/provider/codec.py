"""Payload codecs chosen from a handler's type hints (docs/protocol.md §9 general rules).

A ``str`` is a msgpack str, ``bytes`` a bin, ``bool``/``int``/``float`` themselves, ``list[T]``/``dict[str, T]``
arrays and maps, an interface type (anything with ``to_wire``/``from_wire``) its map, ``Any`` any msgpack value,
and ``None`` an empty payload. Decoding is tolerant where the reference hosts differ (str or bin for text and
bytes) and strict otherwise: a mismatch is :class:`~lattice.wire.errors.MessageMalformed`.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lattice.provider.errors import ProviderDefinitionError
from lattice.wire.codec import pack, unpack
from lattice.wire.errors import MessageMalformed

Check = Callable[[Any], Any]


@dataclass(frozen=True)
class PayloadCodec:
    """How one handler argument or result travels: ``decode(bytes)`` and ``encode(value)``."""

    description: str
    decode: Callable[[bytes], Any]
    encode: Callable[[Any], bytes]


def _check_str(value: Any) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MessageMalformed("expected a string, got bytes that are not UTF-8") from exc
    if not isinstance(value, str):
        raise MessageMalformed(f"expected a string, got {_name(value)}")
    return value


def _check_bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    if not isinstance(value, bytes | bytearray):
        raise MessageMalformed(f"expected bytes, got {_name(value)}")
    return bytes(value)


def _check_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise MessageMalformed(f"expected a boolean, got {_name(value)}")
    return value


def _check_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MessageMalformed(f"expected an integer, got {_name(value)}")
    return value


def _check_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MessageMalformed(f"expected a number, got {_name(value)}")
    return float(value)


def _name(value: Any) -> str:
    return "nil" if value is None else type(value).__name__


_SCALARS: dict[Any, tuple[str, Check]] = {
    str: ("a string", _check_str),
    bytes: ("bytes", _check_bytes),
    bool: ("a boolean", _check_bool),
    int: ("an integer", _check_int),
    float: ("a number", _check_float),
}


def _list_check(item: Check) -> Check:
    def check(value: Any) -> list[Any]:
        if not isinstance(value, list | tuple):
            raise MessageMalformed(f"expected an array, got {_name(value)}")
        return [item(v) for v in value]

    return check


def _map_check(item: Check) -> Check:
    def check(value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise MessageMalformed(f"expected a map, got {_name(value)}")
        return {_check_str(k): item(v) for k, v in value.items()}

    return check


def _struct_check(cls: type) -> Check:
    def check(value: Any) -> Any:
        return cls.from_wire(value)  # type: ignore[attr-defined]

    return check


def _checker(hint: Any, what: str) -> tuple[str, Check]:
    if hint is Any:
        return "any value", lambda v: v
    if hint in _SCALARS:
        return _SCALARS[hint]
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is list and len(args) == 1:
        desc, item = _checker(args[0], what)
        return f"an array of {desc}", _list_check(item)
    if origin is dict and len(args) == 2 and args[0] is str:
        desc, item = _checker(args[1], what)
        return f"a map of {desc}", _map_check(item)
    if isinstance(hint, type) and hasattr(hint, "from_wire") and hasattr(hint, "to_wire"):
        return hint.__name__, _struct_check(hint)
    raise ProviderDefinitionError(f"{what}: payload type {hint!r} is not supported (see lattice.provider.codec)")


def _to_wire(value: Any) -> Any:
    if hasattr(value, "to_wire"):
        return value.to_wire()
    if isinstance(value, list | tuple):
        return [_to_wire(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_wire(v) for k, v in value.items()}
    return value


def _is_none(hint: Any) -> bool:
    return hint is None or hint is type(None)


def codec_for(hint: Any, what: str) -> PayloadCodec:
    """The codec of one type hint; :class:`ProviderDefinitionError` when the type cannot travel."""
    if _is_none(hint):
        return PayloadCodec("no payload", lambda data: None, lambda value: b"")
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        raise ProviderDefinitionError(f"{what}: union payload types are not supported")
    desc, check = _checker(hint, what)

    def decode(data: bytes) -> Any:
        if not data:
            raise MessageMalformed(f"payload is empty, expected {desc}")
        return check(unpack(data))

    def encode(value: Any) -> bytes:
        try:
            normalized = check(_to_wire(value))
        except MessageMalformed as exc:
            raise TypeError(f"{what} returned {_name(value)}, not {desc}: {exc}") from exc
        return pack(_to_wire(normalized))

    return PayloadCodec(desc, decode, encode)
