"""Capability providers, host side: resolve refs (``python:<module>``, PAR files and registry refs), run the
processes with HostData on stdin, watch their health, restart them with backoff, and stop them (docs/protocol.md §8)."""

from host.providers.errors import ProviderNotRunning, ProviderStartFailed, ProviderSupervisorError
from host.providers.hostdata import HostDataNats, HostIdentity
from host.providers.refs import ProviderSources
from host.providers.supervisor import ProviderSupervisor, SupervisorHooks
from host.providers.timings import SupervisorTimings

__all__ = [
    "HostDataNats",
    "HostIdentity",
    "ProviderNotRunning",
    "ProviderSources",
    "ProviderStartFailed",
    "ProviderSupervisor",
    "ProviderSupervisorError",
    "SupervisorHooks",
    "SupervisorTimings",
]
