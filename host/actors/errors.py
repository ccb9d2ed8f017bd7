"""Errors of starting, stopping and updating actors. Messages are fit for control clients and events.

Tree::

    HostError
    └── ActorError                  an actor command cannot be carried out
        ├── ActorRefRejected        the reference cannot be loaded here (scheme, file loading off, unreadable)
        ├── ActorFetchFailed        the module could not be pulled from its registry (the message names the ref)
        ├── ActorStartFailed        claims, module, limits or policy refused the start
        ├── ActorNotRunning         no (matching) instances of that actor on this host
        └── ActorUpdateFailed       live update refused (other subject, revision not higher) or failed
"""

from __future__ import annotations

from host.errors import HostError


class ActorError(HostError):
    """An actor command cannot be carried out."""


class ActorRefRejected(ActorError):
    """The actor reference cannot be loaded by this host."""


class ActorFetchFailed(ActorError):
    """The module could not be pulled from its registry: unreachable, unknown, refused, altered, too large, slow."""


class ActorStartFailed(ActorError):
    """The actor could not be started (claims, module, limits, policy)."""


class ActorNotRunning(ActorError):
    """The actor has no (matching) instances on this host."""


class ActorUpdateFailed(ActorError):
    """A live update was refused or failed; the old module keeps serving."""
