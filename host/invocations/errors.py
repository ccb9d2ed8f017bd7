"""Errors of the invocation paths. Their messages go to remote callers or guests as they are: clean, no reprs.

Tree::

    HostError
    └── InvocationError             an invocation cannot be carried out
        ├── ActorFailed             the actor itself returned an error (a value, passed on verbatim)
        └── RouteError              an actor's outbound host call has no permitted target

An inbound invocation that is refused (malformed, forged, not for this actor, missing claim, policy) or fails in the
host raises :class:`lattice.rpc.InvocationRejected`, the one class hosts and providers share.
"""

from __future__ import annotations

from host.errors import HostError
from lattice.rpc.errors import InvocationRejected

__all__ = ["ActorFailed", "InvocationError", "InvocationRejected", "RouteError"]


class InvocationError(HostError):
    """An invocation cannot be carried out."""


class RouteError(InvocationError):
    """An outbound host call cannot be routed (no link, no claim, unknown alias)."""


class ActorFailed(InvocationError):
    """The actor returned an error from ``__guest_call``; its text is the caller's answer."""
