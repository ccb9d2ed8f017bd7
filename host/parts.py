"""The parts a running host is made of, each owning its own state; built in order by :mod:`host.assembly`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from host.actors import ActorManager
from host.config import HostConfig
from host.events import EventPublisher
from host.heartbeat import Heartbeat
from host.identity import Identity, Labels
from host.policy import PolicyClient
from host.providers import ProviderSupervisor
from host.state import LatticeStore
from host.tasks import TaskScope
from lattice.oci import ArtifactFetcher


@dataclass(frozen=True, kw_only=True)
class HostParts:
    """What control commands read and act on, and what a graceful stop winds down.

    ``tasks`` holds the host's background work (bucket watch, heartbeats, inbox workers, long commands);
    ``artifacts`` pulls actors and provider archives from registries (and takes ``registries.put`` credentials);
    ``request_stop`` asks the host to stop gracefully.
    """

    config: HostConfig
    identity: Identity
    labels: Labels
    store: LatticeStore
    artifacts: ArtifactFetcher
    actors: ActorManager
    providers: ProviderSupervisor
    policy: PolicyClient | None
    publisher: EventPublisher
    heartbeat: Heartbeat
    tasks: TaskScope
    request_stop: Callable[[], None]
