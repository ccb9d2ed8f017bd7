"""The inbound invocation pipeline: decode → fetch payload → anti-forgery → target → link → handler → reply.

Every step either passes the invocation on or produces the error reply; :meth:`Dispatcher.answer` never raises
(besides cancellation), so every request gets an :class:`InvocationResponse`.
"""

from __future__ import annotations

import logging
from typing import Any

from lattice.provider.errors import BadPayload, InvocationRejected, ProviderError, UnknownOperation, UnlinkedActor
from lattice.provider.operation import Operation
from lattice.provider.provider import Provider
from lattice.rpc import RpcError
from lattice.wire import (
    ForgedInvocation,
    Invocation,
    InvocationResponse,
    MessageMalformed,
    WrongTarget,
    antiforgery,
    unpack,
)

log = logging.getLogger(__name__)
UNLINKED_ACTOR = "unlinked actor"


def invocation_id_of(data: bytes) -> str:
    """The ``id`` of a raw invocation, or "" when it cannot be read (for error replies before decoding)."""
    try:
        body = unpack(data)
    except MessageMalformed:
        return ""
    value = body.get("id") if isinstance(body, dict) else None
    return value if isinstance(value, str) else ""


def check_target(provider: Provider, inv: Invocation) -> None:
    if inv.target.public_key != provider.provider_key:
        raise WrongTarget(f"invocation is for {inv.target.public_key[:12]}…, not this provider")
    if inv.target.link_name and inv.target.link_name != provider.link_name:
        raise WrongTarget(f"invocation is for link name {inv.target.link_name!r}, not {provider.link_name!r}")


def check_linked(provider: Provider, inv: Invocation) -> None:
    if provider.link(inv.origin.public_key) is None:
        raise UnlinkedActor(UNLINKED_ACTOR)


def find_operation(provider: Provider, name: str) -> Operation:
    op = provider.operations.get(name)
    if op is None:
        raise UnknownOperation(f"operation {name!r} is not handled by {provider.contract_id} provider")
    return op


def decode_payload(op: Operation, payload: bytes) -> Any:
    try:
        return op.input.decode(payload)
    except MessageMalformed as exc:
        raise BadPayload(f"cannot decode {op.name} payload: {exc}") from exc


class Dispatcher:
    """Answers invocations for one provider instance."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider

    async def answer(self, data: bytes) -> InvocationResponse:
        try:
            inv = Invocation.decode(data)
        except MessageMalformed as exc:
            return InvocationResponse.failure(invocation_id_of(data), f"malformed invocation: {exc}")
        try:
            result = await self._serve(inv)
        except (InvocationRejected, ForgedInvocation) as exc:
            log.debug("invocation %s rejected: %s", inv.id, exc)
            return InvocationResponse.failure(inv.id, str(exc))
        except (ProviderError, RpcError) as exc:
            return InvocationResponse.failure(inv.id, str(exc))
        except Exception as exc:
            log.exception("handler of %s failed", inv.operation)
            return InvocationResponse.failure(inv.id, f"{inv.operation} failed: internal error ({type(exc).__name__})")
        return await self.provider.ctx.rpc.make_response(inv.id, result)

    async def _serve(self, inv: Invocation) -> bytes:
        provider = self.provider
        payload = await provider.ctx.rpc.receive_payload(inv)
        antiforgery.validate(inv, provider.host_data.cluster_issuers, full_msg=payload)
        check_target(provider, inv)
        check_linked(provider, inv)
        op = find_operation(provider, inv.operation)
        arg = decode_payload(op, payload)
        handler = getattr(provider, op.method_name)
        actor_id = inv.origin.public_key
        result = await (handler(actor_id, arg) if op.takes_payload else handler(actor_id))
        return op.output.encode(result)
