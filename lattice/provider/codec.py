"""Payload codecs chosen from a handler's type hints (docs/protocol.md §9 general rules).

A ``str`` is a msgpack str, ``bytes`` a bin, ``bool``/``int``/``float`` themselves, ``list[T]``/``dict[str, T]``
arrays and maps, an interface type (any :class:`~lattice.codec.Struct`) its map, ``Any`` any msgpack value, and
``None`` an empty payload. Decoding is :mod:`lattice.codec`'s: strict first, tolerant where the reference hosts differ
(str or bin for text and bytes); a mismatch is :class:`~lattice.wire.errors.MessageMalformed`.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lattice.codec import MSGPACK, Struct, ValueCodec
from lattice.provider.errors import ProviderDefinitionError
from lattice.wire.errors import MessageMalformed


@dataclass(frozen=True)
class PayloadCodec:
    """How one handler argument or result travels: ``decode(bytes)`` and ``encode(value)``."""

    description: str
    decode: Callable[[bytes], Any]
    encode: Callable[[Any], bytes]


def _plain(value: Any) -> Any:
    """A handler's result as plain values (structs as their wire maps), to be checked against its declared type."""
    if isinstance(value, Struct):
        return value.to_wire()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def codec_for(hint: Any, what: str) -> PayloadCodec:
    """The codec of one type hint; :class:`ProviderDefinitionError` when the type cannot travel."""
    if hint is None or hint is type(None):
        return PayloadCodec("no payload", lambda data: None, lambda value: b"")
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        raise ProviderDefinitionError(f"{what}: union payload types are not supported")
    struct = hint if isinstance(hint, type) and issubclass(hint, Struct) else None
    try:
        values = ValueCodec(hint, "payload" if struct is None else struct.what(), MSGPACK, MessageMalformed)
    except TypeError as exc:
        raise ProviderDefinitionError(f"{what}: payload type {hint!r} is not supported ({exc})") from exc

    def decode(data: bytes) -> Any:
        if not data:
            raise MessageMalformed(f"payload is empty, expected {values.description}")
        return values.decode(data)

    def encode(value: Any) -> bytes:
        if struct is not None and isinstance(value, struct):
            return value.encode_msgpack()
        try:
            checked = values.from_value(_plain(value))
        except MessageMalformed as exc:
            raise TypeError(f"{what} returned {type(value).__name__}, not {values.description}: {exc}") from exc
        return values.encode(checked)

    return PayloadCodec(values.description, decode, encode)
