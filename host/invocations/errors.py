"""Errors of the invocation paths. Their messages go to remote callers or guests as they are: clean, no reprs.

Tree::

    HostError
    └── InvocationError             an invocation cannot be carried out
        ├── InvocationRejected      an inbound invocation is refused or failed
        │   └── ActorFailed         the actor itself returned an error (a value, passed on verbatim)
        └── RouteError              an actor's outbound host call has no permitted target
"""

from __future__ import annotations

from host.errors import HostError


class InvocationError(HostError):
    """An invocation cannot be carried out."""


class InvocationRejected(InvocationError):
    """An inbound invocation is refused (malformed, forged, wrong target, missing claim, policy)."""


class RouteError(InvocationError):
    """An outbound host call cannot be routed (no link, no claim, unknown alias)."""


class ActorFailed(InvocationRejected):
    """The actor returned an error from ``__guest_call``; its text is the caller's answer."""
