"""MessagePack on the wire: :class:`WireStruct` (the base of the RPC envelopes, link definitions, HostData and the
interface types) and ``pack``/``unpack`` for values of no declared type. See :mod:`lattice.codec`."""

from __future__ import annotations

from typing import Any

from lattice.codec import DEFAULT_MAX_MESSAGE_BYTES, Struct, formats, pack
from lattice.wire.errors import MessageMalformed

__all__ = ["DEFAULT_MAX_MESSAGE_BYTES", "WireStruct", "pack", "unpack"]


class WireStruct(Struct, frozen=True):
    """A msgpack payload whose refusals are :class:`MessageMalformed`."""

    MALFORMED = MessageMalformed


def unpack(data: bytes, *, max_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> Any:
    """Decode msgpack; str stays str, bin becomes bytes. Any failure is :class:`MessageMalformed`."""
    return formats.unpack(data, max_bytes=max_bytes, error=MessageMalformed)
