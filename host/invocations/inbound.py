"""The inbound pipeline: one lattice invocation of a local actor, in small steps (docs/protocol.md §4.2–§4.4).

decode → fetch the payload (de-chunk) → anti-forgery → target is this actor (the checks every lattice member shares,
:mod:`lattice.rpc.inbound`) → the source's contract is in the actor's claims → policy → run in the actor's pool →
InvocationResponse (chunked above 900 KiB).

Each step raises :class:`InvocationRejected` with the message the caller will read. :meth:`InboundPipeline.handle`
turns every outcome into a response: guest errors are values, host faults are a generic message (and a log line).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Protocol

from host.invocations.context import InvocationContext
from host.invocations.errors import ActorFailed
from host.policy import PolicyAction, PolicyClient, PolicyDenied, PolicyEntity
from host.runtime import DeadlineExceeded, GuestError, GuestTrapped, PoolClosed, WasmRuntimeError
from host.state import LatticeCache
from lattice.rpc import InvocationRejected
from lattice.rpc.inbound import Recipient, Wording, admit, decode
from lattice.wire import Invocation, InvocationResponse
from lattice.wire.replay import ReplayCache

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

WORDING = Wording(
    malformed="Failed to deserialize msgpack invocation: {reason}",
    payload="could not fetch the chunked payload: {reason}",
    forged="anti-forgery check failed: {reason}",
    wrong_key="invocation targets {got!r}, not actor {want}",
)
"""OTP's words for the shared checks of :mod:`lattice.rpc.inbound`."""


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
    """Serves the invocations of every local actor; ``cluster_issuers`` are the keys whose signatures it trusts."""

    ctx: InvocationContext
    cluster_issuers: Collection[str]
    replays: ReplayCache = field(default_factory=ReplayCache)  # one per host: every local actor's invocations

    async def handle(self, actor: InboundActor, data: bytes) -> bytes:
        """The encoded InvocationResponse for one message; never raises."""
        inv: Invocation | None = None
        try:
            inv = decode(data, WORDING)
            response = await self._serve(actor, inv)
        except ActorFailed as exc:
            response = InvocationResponse.failure(inv.id if inv else "", str(exc))
        except InvocationRejected as exc:
            response = InvocationResponse.failure(inv.id if inv else "", clean(str(exc)))
        except Exception:
            log.exception("invocation of %s failed inside the host", actor.public_key)
            response = InvocationResponse.failure(inv.id if inv else "", INTERNAL_ERROR)
        if inv is not None:
            size = inv.content_length if inv.content_length is not None else len(inv.msg)
            await self.ctx.publish_result(response.ok, inv.origin, inv.target, inv.operation, size)
        return response.encode()

    async def _serve(self, actor: InboundActor, inv: Invocation) -> InvocationResponse:
        ctx = self.ctx
        payload = await admit(inv, ctx.rpc, self.cluster_issuers, Recipient(actor.public_key), WORDING, self.replays)
        check_claims(inv, actor.caps)
        await check_policy(ctx.policy, ctx.cache, inv, actor.public_key)
        result = await run(actor, inv.operation, payload)
        return await ctx.rpc.make_response(inv.id, result)
