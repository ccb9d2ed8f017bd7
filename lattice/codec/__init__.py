"""One declarative codec for every payload of the lattice (docs/adr/0006-one-codec.md).

A payload type is a :class:`Struct` (a frozen msgspec struct): each field is declared once — wire name, kind,
default, leniency (:mod:`lattice.codec.kinds`) — and that one declaration drives encoding, decoding and the error
messages. Decoding is msgspec's strict typed decode, with a lenient fallback for odd-but-valid peers; every refusal
is a :class:`MalformedPayload` (the payload type's own subclass) naming the payload and the field.
"""

from lattice.codec.errors import MalformedPayload
from lattice.codec.formats import DEFAULT_MAX_MESSAGE_BYTES, JSON, MSGPACK, Format, pack, unpack
from lattice.codec.kinds import (
    I32,
    I32_MAX,
    I32_MIN,
    U16,
    U16_MAX,
    U32,
    U32_MAX,
    CommaJoined,
    JsonText,
    NonEmpty,
    NumericText,
    Omit,
    OneOrMany,
    Required,
    UInt,
    also_read,
    empty_means,
    hint,
)
from lattice.codec.struct import Struct
from lattice.codec.values import ValueCodec

__all__ = [
    "DEFAULT_MAX_MESSAGE_BYTES",
    "I32",
    "I32_MAX",
    "I32_MIN",
    "JSON",
    "MSGPACK",
    "U16",
    "U16_MAX",
    "U32",
    "U32_MAX",
    "CommaJoined",
    "Format",
    "JsonText",
    "MalformedPayload",
    "NonEmpty",
    "NumericText",
    "Omit",
    "OneOrMany",
    "Required",
    "Struct",
    "UInt",
    "ValueCodec",
    "also_read",
    "empty_means",
    "hint",
    "pack",
    "unpack",
]
