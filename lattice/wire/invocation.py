"""Invocation and InvocationResponse: the msgpack envelopes of lattice RPC (docs/protocol.md §4.2, §4.4)."""

from __future__ import annotations

import operator
from collections.abc import Mapping

import msgspec

from lattice.codec import Omit, UInt
from lattice.wire.codec import WireStruct
from lattice.wire.entity import WasmCloudEntity


class Invocation(WireStruct, frozen=True, omit_defaults=True):
    """One call across the lattice. ``msg`` is empty when the payload travels through the object store.

    ``trace_context`` (``traceContext`` on the wire) is not compared: two invocations differing only there are equal.
    """

    WHAT = "invocation"
    origin: WasmCloudEntity
    target: WasmCloudEntity
    operation: str
    msg: bytes
    id: str
    encoded_claims: str
    host_id: str
    content_length: Omit[UInt | None] = None
    trace_context: Omit[Mapping[str, str] | None] = msgspec.field(default=None, name="traceContext")

    @property
    def is_chunked(self) -> bool:
        return self.content_length is not None and self.content_length > len(self.msg)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return _compared(self) == _compared(other)

    def __hash__(self) -> int:
        return hash(_compared(self))


_compared = operator.attrgetter(
    "origin", "target", "operation", "msg", "id", "encoded_claims", "host_id", "content_length"
)


class InvocationResponse(WireStruct, frozen=True):
    """The reply to an invocation: ``msg`` on success, ``error`` (and ``msg`` ignored) on failure."""

    WHAT = "invocation response"
    WIRE_ORDER = ("msg", "invocation_id", "error", "content_length")  # wasmbus-rpc's field order
    invocation_id: str
    msg: bytes = b""
    error: Omit[str | None] = None
    content_length: Omit[UInt | None] = None

    @classmethod
    def failure(cls, invocation_id: str, error: str) -> InvocationResponse:
        return cls(invocation_id, b"", error)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def is_chunked(self) -> bool:
        return self.error is None and self.content_length is not None and self.content_length > len(self.msg)
