"""The checks every lattice member runs on an inbound invocation, before anything acts on it
(docs/protocol.md §4.2–§4.4).

decode → fetch the payload (de-chunk) → anti-forgery → is it for me? → not a replay (:mod:`lattice.wire.replay`).
Hosts (for their actors) and providers compose the same steps and go on with their own (claims and policy; links
and handlers). Each step raises :class:`InvocationRejected` whose message is what the caller will read; how a member
words it is a :class:`Wording`, so a host answers as OTP hosts do and a provider as wasmbus-rpc does.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from lattice.claims.model import InvocationClaims
from lattice.rpc.errors import ChunkError, InvocationRejected
from lattice.wire import ForgedInvocation, Invocation, MessageMalformed, antiforgery, unpack
from lattice.wire.errors import ReplayedInvocation
from lattice.wire.replay import ReplayCache


@dataclass(frozen=True)
class Wording:
    """How one kind of lattice member words each refusal: ``{reason}`` is the failed check's own message; a wrong
    recipient is worded with ``{got}`` (the key the invocation names) and ``{want}`` (the recipient's)."""

    malformed: str = "{reason}"
    payload: str = "{reason}"
    forged: str = "{reason}"
    wrong_key: str = "invocation is for {got}, not {want}"
    wrong_link: str = "invocation is for link name {got!r}, not {want!r}"


@dataclass(frozen=True)
class Recipient:
    """Who is being invoked: a public key, and the link name it serves (None: an actor, which has none)."""

    public_key: str
    link_name: str | None = None


class PayloadSource(Protocol):
    """Where a chunked payload comes from (:class:`lattice.rpc.RpcClient`)."""

    async def receive_payload(self, inv: Invocation) -> bytes: ...


def invocation_id_of(data: bytes) -> str:
    """The ``id`` of a raw invocation, or "" when it cannot be read (for error replies before decoding)."""
    try:
        body = unpack(data)
    except MessageMalformed:
        return ""
    value = body.get("id") if isinstance(body, dict) else None
    return value if isinstance(value, str) else ""


def decode(data: bytes, wording: Wording) -> Invocation:
    try:
        return Invocation.decode(data)
    except MessageMalformed as exc:
        raise InvocationRejected(wording.malformed.format(reason=exc)) from None


async def fetch_payload(source: PayloadSource, inv: Invocation, wording: Wording) -> bytes:
    try:
        return await source.receive_payload(inv)
    except ChunkError as exc:
        raise InvocationRejected(wording.payload.format(reason=exc)) from None


def verify(inv: Invocation, payload: bytes, cluster_issuers: Collection[str], wording: Wording) -> InvocationClaims:
    try:
        return antiforgery.validate(inv, cluster_issuers, full_msg=payload)
    except ForgedInvocation as exc:
        raise InvocationRejected(wording.forged.format(reason=exc)) from None


def check_replay(replays: ReplayCache | None, claims: InvocationClaims, wording: Wording) -> None:
    """Each genuine invocation is admitted once within its validity window (:mod:`lattice.wire.replay`)."""
    if replays is None:
        return
    try:
        replays.admit(claims.subject, claims.issued_at)
    except ReplayedInvocation as exc:
        raise InvocationRejected(wording.forged.format(reason=exc)) from None


def check_recipient(inv: Invocation, recipient: Recipient, wording: Wording) -> None:
    target = inv.target
    if target.public_key != recipient.public_key:
        raise InvocationRejected(wording.wrong_key.format(got=target.public_key[:56], want=recipient.public_key))
    if recipient.link_name is not None and target.link_name and target.link_name != recipient.link_name:
        raise InvocationRejected(wording.wrong_link.format(got=target.link_name, want=recipient.link_name))


async def admit(
    inv: Invocation,
    source: PayloadSource,
    cluster_issuers: Collection[str],
    recipient: Recipient,
    wording: Wording,
    replays: ReplayCache | None = None,
) -> bytes:
    """The steps after decoding: the full payload, once the invocation is proven genuine, meant for ``recipient``
    and (with ``replays``) not received before."""
    payload = await fetch_payload(source, inv, wording)
    claims = verify(inv, payload, cluster_issuers, wording)
    check_recipient(inv, recipient, wording)
    check_replay(replays, claims, wording)
    return payload
