"""Invocations: the inbound pipeline of local actors, their inboxes, and the outbound host-call router."""

from host.invocations.context import InvocationContext
from host.invocations.errors import ActorFailed, InvocationError, InvocationRejected, RouteError
from host.invocations.inbound import InboundActor, InboundPipeline
from host.invocations.inbox import ActorInbox, InboxLimits
from host.invocations.router import HostCallRouter, RouterContext
from host.invocations.routing import resolve

__all__ = [
    "ActorFailed",
    "ActorInbox",
    "HostCallRouter",
    "InboundActor",
    "InboundPipeline",
    "InboxLimits",
    "InvocationContext",
    "InvocationError",
    "InvocationRejected",
    "RouteError",
    "RouterContext",
    "resolve",
]
