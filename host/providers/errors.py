"""Errors of the provider supervisor (``host.providers``).

Tree::

    HostError
    └── ProviderSupervisorError
        ├── ProviderStartFailed        the provider could not be started: bad ref or claims, refused file load,
        │                              already running, or the process died / never answered its first health check
        └── ProviderNotRunning         stop() of a provider this host does not run
"""

from __future__ import annotations

from host.errors import HostError


class ProviderSupervisorError(HostError):
    """The provider supervisor could not do what was asked."""


class ProviderStartFailed(ProviderSupervisorError):
    """The provider could not be started; the message says why (and ends with its last log lines if it ran)."""


class ProviderNotRunning(ProviderSupervisorError):
    """No provider with that key and link name runs on this host."""
