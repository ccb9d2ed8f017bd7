"""Sending signed invocations and answering them (docs/protocol.md §4): the one RPC path hosts and providers share."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from lattice import keys, subjects
from lattice.rpc.chunks import CHUNK_EXTRA_TIMEOUT_S, CHUNK_THRESHOLD_BYTES, ChunkStore
from lattice.rpc.errors import ChunkError, RemoteError, RpcError, RpcTimeout
from lattice.wire import Invocation, InvocationResponse, MessageMalformed, WasmCloudEntity, antiforgery
from lattice.wire.hostdata import DEFAULT_RPC_TIMEOUT_MS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RpcSettings:
    lattice: str
    host_id: str
    cluster_key: keys.KeyPair
    timeout_ms: int = DEFAULT_RPC_TIMEOUT_MS
    chunk_threshold: int = CHUNK_THRESHOLD_BYTES
    js_domain: str | None = None


class RpcClient:
    """Signs, sends, and decodes invocations; chunks payloads over the threshold in both directions."""

    def __init__(self, nc: Any, settings: RpcSettings) -> None:
        self._nc = nc
        self.settings = settings
        self.chunks = ChunkStore(nc, settings.lattice, settings.js_domain)

    async def call(
        self,
        origin: WasmCloudEntity,
        target: WasmCloudEntity,
        operation: str,
        msg: bytes,
        *,
        timeout_ms: int | None = None,
    ) -> bytes:
        """Invoke ``target`` and return its result bytes; errors become :class:`RpcError` subclasses."""
        response = await self.invoke(origin, target, operation, msg, timeout_ms=timeout_ms)
        if response.error is not None:
            raise RemoteError(response.error)
        if response.is_chunked:
            assert response.content_length is not None
            return await self.chunks.take(
                subjects.chunk_response_object(response.invocation_id), response.content_length
            )
        return response.msg

    async def invoke(
        self,
        origin: WasmCloudEntity,
        target: WasmCloudEntity,
        operation: str,
        msg: bytes,
        *,
        timeout_ms: int | None = None,
    ) -> InvocationResponse:
        settings = self.settings
        chunked = len(msg) > settings.chunk_threshold
        inv = antiforgery.sign(origin, target, operation, msg, settings.cluster_key, settings.host_id, chunked=chunked)
        timeout = (timeout_ms or settings.timeout_ms) / 1000
        if chunked:
            await self.chunks.put(subjects.chunk_request_object(inv.id), msg)
            timeout += CHUNK_EXTRA_TIMEOUT_S
        subject = subjects.rpc_target(settings.lattice, target.public_key, target.link_name)
        try:
            reply = await self._request(subject, inv, timeout)
        except RpcError:
            if chunked:  # nobody took the request body: do not leave it in the store
                await self.chunks.discard(subjects.chunk_request_object(inv.id))
            raise
        try:
            return InvocationResponse.decode(reply.data)
        except MessageMalformed as exc:
            raise RpcError(f"malformed reply from {target.public_key[:12]}…: {exc}") from exc

    async def _request(self, subject: str, inv: Invocation, wait_s: float) -> Any:
        target = inv.target.public_key[:12]
        try:
            return await self._nc.request(subject, inv.encode(), timeout=wait_s)
        except TimeoutError as exc:
            raise RpcTimeout(f"request timeout: no reply from {target}… in {wait_s:.1f}s") from exc
        except Exception as exc:
            if type(exc).__name__ == "NoRespondersError":
                raise RpcTimeout(f"request timeout: nobody serves {target}… on this lattice") from exc
            raise RpcError(f"request to {subject} failed: {exc}") from exc

    async def receive_payload(self, inv: Invocation) -> bytes:
        """The full payload of an incoming invocation, fetched from the object store when chunked."""
        if not inv.is_chunked:
            return inv.msg
        assert inv.content_length is not None
        return await self.chunks.take(subjects.chunk_request_object(inv.id), inv.content_length)

    async def make_response(self, invocation_id: str, result: bytes) -> InvocationResponse:
        """A success response; a result over the threshold goes to the object store (``{id}-r``)."""
        if len(result) <= self.settings.chunk_threshold:
            return InvocationResponse(invocation_id, result, content_length=len(result))
        try:
            await self.chunks.put(subjects.chunk_response_object(invocation_id), result)
        except ChunkError as exc:
            return InvocationResponse.failure(invocation_id, str(exc))
        return InvocationResponse(invocation_id, b"", content_length=len(result))
