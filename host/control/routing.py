"""The shapes the control server routes with: a decoded request, a handler's outcome, and the handler type."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from host.control.target import ActorInfo, CommandRejected
from lattice import keys
from lattice.control.requests import Ack
from lattice.subjects import CtlOp

FollowUp = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Request:
    """One control message: the operation and host id read from its subject, and its raw body."""

    op: CtlOp
    host_id: str
    data: bytes


@dataclass(frozen=True)
class Outcome:
    """What to send back (None = stay silent, as auction losers do) and what to run once the reply is out."""

    reply: bytes | None
    then: FollowUp | None = None

    @classmethod
    def accepted(cls, then: FollowUp | None = None) -> Outcome:
        return cls(Ack.ok().encode(), then)

    @classmethod
    def refused(cls, error: str) -> Outcome:
        return cls(Ack.failure(error).encode())


Handler = Callable[[Request], Awaitable[Outcome]]


def check_host(body_host_id: str, own_host_id: str) -> None:
    """A command whose body names another host is refused (it reached the wrong host)."""
    if body_host_id and body_host_id != own_host_id:
        raise CommandRejected(f"this command is for host {body_host_id}, but it reached host {own_host_id}: refused")


def actor_id_for(ref: str, actors: list[ActorInfo]) -> str:
    """The public key for ``ref``: itself when it is one, else the running actor started from that image ref."""
    if keys.is_public_key(ref, keys.KeyType.MODULE):
        return ref
    for actor in actors:
        if actor.image_ref == ref:
            return actor.id
    return ""
