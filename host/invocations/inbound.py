"""The inbound pipeline: one lattice invocation of a local actor, in small steps (docs/protocol.md §4.2–§4.4).

decode → fetch the payload (de-chunk) → anti-forgery → target is this actor → the source's contract is in the
actor's claims → policy → run in the actor's pool → InvocationResponse (chunked above 900 KiB).

Each step raises :class:`InvocationRejected` with the message the caller will read. :meth:`InboundPipeline.handle`
turns every outcome into a response: guest errors are values, host faults are a generic message (and a log line).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Protocol

from host import events
from host.invocations.errors import ActorFailed, InvocationRejected
from host.policy import PolicyAction, PolicyClient, PolicyDenied, PolicyEntity
from host.runtime import DeadlineExceeded, GuestError, GuestTrapped, PoolClosed, WasmRuntimeError
from host.state import LatticeCache
from lattice.rpc import ChunkError, RpcClient
from lattice.wire import ForgedInvocation, Invocation, InvocationResponse, MessageMalformed, antiforgery

INTERNAL_ERROR = "internal host error while handling the invocation"
MAX_ERROR_CHARS = 1000
MAX_GUEST_ERROR_CHARS = 64 * 1024

log = logging.getLogger(__name__)


class InboundActor(Protocol):
    """What the pipeline needs of the receiving actor."""

    @property
    def public_key(self) -> str: ...

    @property
    def caps(self) -> frozenset[str]: ...

    async def invoke(self, operation: str, payload: bytes) -> bytes: ...


def clean(message: str) -> str:
    """First line only, bounded: wasm traps carry backtraces that callers must not see."""
    first = message.strip().splitlines()[0] if message.strip() else "unknown error"
    return first[:MAX_ERROR_CHARS]


# --- steps ---------------------------------------------------------------------------------------------------------


def decode(data: bytes) -> Invocation:
    try:
        return Invocation.decode(data)
    except MessageMalformed as exc:
        raise InvocationRejected(f"Failed to deserialize msgpack invocation: {exc}") from None


async def fetch_payload(rpc: RpcClient, inv: Invocation) -> bytes:
    try:
        return await rpc.receive_payload(inv)
    except ChunkError as exc:
        raise InvocationRejected(f"could not fetch the chunked payload: {exc}") from None


def verify(inv: Invocation, payload: bytes, cluster_issuers: Collection[str]) -> None:
    try:
        antiforgery.validate(inv, cluster_issuers, full_msg=payload)
    except ForgedInvocation as exc:
        raise InvocationRejected(f"anti-forgery check failed: {exc}") from None


def check_target(inv: Invocation, actor_id: str) -> None:
    if inv.target.public_key != actor_id:
        raise InvocationRejected(f"invocation targets {inv.target.public_key[:56]!r}, not actor {actor_id}")


def check_claims(inv: Invocation, caps: Collection[str]) -> None:
    contract = inv.origin.contract_id
    if contract and contract not in caps:
        raise InvocationRejected(f"Invocation source does not have the required capability claim {contract}")


async def check_policy(policy: PolicyClient | None, cache: LatticeCache, inv: Invocation, actor_id: str) -> None:
    if policy is None:
        return
    origin = inv.origin
    record = cache.claims(origin.public_key) or {}
    caps = tuple(c for c in record.get("caps", "").split(",") if c)
    source = PolicyEntity(origin.public_key, origin.contract_id, origin.link_name, caps, record.get("iss", ""))
    target = PolicyEntity(actor_id, issuer=(cache.claims(actor_id) or {}).get("iss", ""))
    try:
        await policy.check(PolicyAction.PERFORM_INVOCATION, source, target)
    except PolicyDenied as exc:
        raise InvocationRejected(str(exc)) from None


async def run(actor: InboundActor, operation: str, payload: bytes) -> bytes:
    """The actor's answer; its own failure (and a trap) becomes a rejection message."""
    try:
        return await actor.invoke(operation, payload)
    except GuestError as exc:
        raise ActorFailed(str(exc)[:MAX_GUEST_ERROR_CHARS]) from None
    except DeadlineExceeded:
        raise InvocationRejected(f"actor {actor.public_key} ran past its deadline and was stopped") from None
    except GuestTrapped as exc:
        raise InvocationRejected(f"actor {actor.public_key} trapped: {clean(str(exc))}") from None
    except PoolClosed:
        raise InvocationRejected(f"Invocation received for actor {actor.public_key} that is not running") from None
    except WasmRuntimeError as exc:
        raise InvocationRejected(f"actor {actor.public_key} could not run: {clean(str(exc))}") from None


# --- the pipeline --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboundPipeline:
    nc: Any
    lattice: str
    host_id: str
    rpc: RpcClient
    cache: LatticeCache
    cluster_issuers: Callable[[], Collection[str]]
    policy: PolicyClient | None = None

    async def handle(self, actor: InboundActor, data: bytes) -> bytes:
        """The encoded InvocationResponse for one message; never raises."""
        inv: Invocation | None = None
        try:
            inv = decode(data)
            response = await self._serve(actor, inv)
        except ActorFailed as exc:
            response = InvocationResponse.failure(inv.id if inv else "", str(exc))
        except InvocationRejected as exc:
            response = InvocationResponse.failure(inv.id if inv else "", clean(str(exc)))
        except Exception:
            log.exception("invocation of %s failed inside the host", actor.public_key)
            response = InvocationResponse.failure(inv.id if inv else "", INTERNAL_ERROR)
        if inv is not None:
            await self._publish(inv, response)
        return response.encode()

    async def _serve(self, actor: InboundActor, inv: Invocation) -> InvocationResponse:
        payload = await fetch_payload(self.rpc, inv)
        verify(inv, payload, self.cluster_issuers())
        check_target(inv, actor.public_key)
        check_claims(inv, actor.caps)
        await check_policy(self.policy, self.cache, inv, actor.public_key)
        result = await run(actor, inv.operation, payload)
        return await self.rpc.make_response(inv.id, result)

    async def _publish(self, inv: Invocation, response: InvocationResponse) -> None:
        event = events.invocation_result(
            self.host_id,
            succeeded=response.ok,
            source=inv.origin,
            dest=inv.target,
            operation=inv.operation,
            size=inv.content_length if inv.content_length is not None else len(inv.msg),
        )
        await events.publish_rpc(self.nc, self.lattice, event)
