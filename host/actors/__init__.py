"""Actors on this host: loading and validating modules, their pools and inboxes, and the commands on them."""

from host.actors.actor import ActorInstance, RunningActor
from host.actors.errors import (
    ActorError,
    ActorFetchFailed,
    ActorNotRunning,
    ActorRefRejected,
    ActorStartFailed,
    ActorUpdateFailed,
)
from host.actors.manager import ActorContext, ActorManager, ActorSettings

__all__ = [
    "ActorContext",
    "ActorError",
    "ActorFetchFailed",
    "ActorInstance",
    "ActorManager",
    "ActorNotRunning",
    "ActorRefRejected",
    "ActorSettings",
    "ActorStartFailed",
    "ActorUpdateFailed",
    "RunningActor",
]
