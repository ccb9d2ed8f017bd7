"""The inbound pipeline of a provider: the shared checks (decode → fetch payload → anti-forgery → recipient, from
:mod:`lattice.rpc.inbound`), then link → handler → reply.

Every step either passes the invocation on or produces the error reply; :meth:`Dispatcher.answer` never raises
(besides cancellation), so every request gets an :class:`InvocationResponse`.
"""

from __future__ import annotations

import logging
from typing import Any

from lattice.provider.errors import BadPayload, ProviderError, UnknownOperation, UnlinkedActor
from lattice.provider.operation import Operation
from lattice.provider.provider import Provider
from lattice.rpc import InvocationRejected, RpcError
from lattice.rpc.inbound import Recipient, Wording, admit, decode, invocation_id_of
from lattice.wire import Invocation, InvocationResponse, MessageMalformed
from lattice.wire.replay import ReplayCache

log = logging.getLogger(__name__)
UNLINKED_ACTOR = "unlinked actor"
WORDING = Wording(
    malformed="malformed invocation: {reason}", wrong_key="invocation is for {got:.12}…, not this provider"
)
"""wasmbus-rpc's words: the check's own message, a prefix only for an undecodable invocation."""

__all__ = ["Dispatcher", "check_linked", "decode_payload", "find_operation", "invocation_id_of"]


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
        self.replays = ReplayCache()

    async def answer(self, data: bytes) -> InvocationResponse:
        try:
            inv = decode(data, WORDING)
        except InvocationRejected as exc:
            return InvocationResponse.failure(invocation_id_of(data), str(exc))
        try:
            result = await self._serve(inv)
        except InvocationRejected as exc:
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
        recipient = Recipient(provider.provider_key, provider.link_name)
        payload = await admit(
            inv, provider.ctx.rpc, provider.host_data.cluster_issuers, recipient, WORDING, self.replays
        )
        check_linked(provider, inv)
        op = find_operation(provider, inv.operation)
        arg = decode_payload(op, payload)
        handler = getattr(provider, op.method_name)
        actor_id = inv.origin.public_key
        result = await (handler(actor_id, arg) if op.takes_payload else handler(actor_id))
        return op.output.encode(result)
