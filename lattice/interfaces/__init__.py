"""Interface types of the standard contracts (docs/protocol.md §9): frozen dataclasses, exact msgpack field names.

Each type is a :class:`~lattice.wire.codec.WireStruct` (see :mod:`lattice.codec`): ``to_wire()`` / ``from_wire(body)``
(msgpack maps) and ``encode()`` / ``decode(bytes)``. Decoding is tolerant (str or bin for bytes, unknown keys ignored,
missing fields defaulted) and strict about types: a wrong type or an out-of-range integer is
:class:`lattice.wire.errors.MessageMalformed`.
"""

from lattice.codec import I32_MAX, I32_MIN, U16_MAX, U32_MAX
from lattice.interfaces.httpserver import HttpRequest, HttpResponse
from lattice.interfaces.keyvalue import (
    GetResponse,
    IncrementRequest,
    ListAddRequest,
    ListDelRequest,
    ListRangeRequest,
    SetAddRequest,
    SetDelRequest,
    SetRequest,
)
from lattice.interfaces.logging import LogEntry
from lattice.interfaces.messaging import PubMessage, ReplyMessage, RequestMessage, SubMessage
from lattice.interfaces.numbergen import RangeLimit
from lattice.wire.codec import WireStruct

__all__ = [
    "I32_MAX",
    "I32_MIN",
    "U16_MAX",
    "U32_MAX",
    "GetResponse",
    "HttpRequest",
    "HttpResponse",
    "IncrementRequest",
    "ListAddRequest",
    "ListDelRequest",
    "ListRangeRequest",
    "LogEntry",
    "PubMessage",
    "RangeLimit",
    "ReplyMessage",
    "RequestMessage",
    "SetAddRequest",
    "SetDelRequest",
    "SetRequest",
    "SubMessage",
    "WireStruct",
]
