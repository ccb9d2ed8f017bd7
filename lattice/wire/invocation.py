"""Invocation and InvocationResponse: the msgpack envelopes of lattice RPC (docs/protocol.md §4.2, §4.4)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lattice.wire.codec import (
    DEFAULT_MAX_MESSAGE_BYTES,
    get_bytes,
    get_str,
    get_str_map,
    get_uint,
    pack,
    unpack_map,
)
from lattice.wire.entity import WasmCloudEntity


@dataclass(frozen=True)
class Invocation:
    """One call across the lattice. ``msg`` is empty when the payload travels through the object store."""

    origin: WasmCloudEntity
    target: WasmCloudEntity
    operation: str
    msg: bytes
    id: str
    encoded_claims: str
    host_id: str
    content_length: int | None = None
    trace_context: Mapping[str, str] | None = field(default=None, compare=False)

    @property
    def is_chunked(self) -> bool:
        return self.content_length is not None and self.content_length > len(self.msg)

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "origin": self.origin.to_wire(),
            "target": self.target.to_wire(),
            "operation": self.operation,
            "msg": bytes(self.msg),
            "id": self.id,
            "encoded_claims": self.encoded_claims,
            "host_id": self.host_id,
        }
        if self.content_length is not None:
            out["content_length"] = self.content_length
        if self.trace_context is not None:
            out["traceContext"] = dict(self.trace_context)
        return out

    def encode(self) -> bytes:
        return pack(self.to_wire())

    @classmethod
    def decode(cls, data: bytes, *, max_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> Invocation:
        body = unpack_map(data, "invocation", max_bytes=max_bytes)
        trace = get_str_map(body, "traceContext", "invocation") if body.get("traceContext") is not None else None
        return cls(
            origin=WasmCloudEntity.from_wire(body.get("origin"), "invocation.origin"),
            target=WasmCloudEntity.from_wire(body.get("target"), "invocation.target"),
            operation=get_str(body, "operation", "invocation"),
            msg=get_bytes(body, "msg", "invocation"),
            id=get_str(body, "id", "invocation"),
            encoded_claims=get_str(body, "encoded_claims", "invocation"),
            host_id=get_str(body, "host_id", "invocation"),
            content_length=get_uint(body, "content_length", "invocation"),
            trace_context=trace,
        )


@dataclass(frozen=True)
class InvocationResponse:
    """The reply to an invocation: ``msg`` on success, ``error`` (and ``msg`` ignored) on failure."""

    invocation_id: str
    msg: bytes = b""
    error: str | None = None
    content_length: int | None = None

    @classmethod
    def failure(cls, invocation_id: str, error: str) -> InvocationResponse:
        return cls(invocation_id, b"", error)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def is_chunked(self) -> bool:
        return self.error is None and self.content_length is not None and self.content_length > len(self.msg)

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"msg": bytes(self.msg), "invocation_id": self.invocation_id}
        if self.error is not None:
            out["error"] = self.error
        if self.content_length is not None:
            out["content_length"] = self.content_length
        return out

    def encode(self) -> bytes:
        return pack(self.to_wire())

    @classmethod
    def decode(cls, data: bytes, *, max_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> InvocationResponse:
        body = unpack_map(data, "invocation response", max_bytes=max_bytes)
        error = body.get("error")
        return cls(
            invocation_id=get_str(body, "invocation_id", "invocation response"),
            msg=get_bytes(body, "msg", "invocation response"),
            error=None if error is None else get_str(body, "error", "invocation response"),
            content_length=get_uint(body, "content_length", "invocation response"),
        )
