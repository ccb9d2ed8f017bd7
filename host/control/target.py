"""The seam between the control-interface server and the host it steers.

The server (``host/control/server.py``) decodes control requests (docs/protocol.md §5.2), calls one method of a
:class:`ControlTarget`, and encodes the reply. :class:`host.commands.HostCommands` implements it. Commands return
quickly with an ack; long work (starting actors or providers) runs in the background and reports through events, as
OTP does.
Raising :class:`CommandRejected` turns into ``{"accepted": false, "error": message}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from host.errors import HostError
from lattice.wire import LinkDefinition


class CommandRejected(HostError):
    """A control command is refused; the message goes back to the caller as the ack's ``error``."""


@dataclass(frozen=True)
class ActorInstanceInfo:
    instance_id: str
    revision: int
    annotations: Mapping[str, str] = field(default_factory=dict)
    image_ref: str = ""


@dataclass(frozen=True)
class ActorInfo:
    id: str
    image_ref: str
    name: str
    instances: tuple[ActorInstanceInfo, ...]


@dataclass(frozen=True)
class ProviderInfo:
    id: str
    image_ref: str
    contract_id: str
    link_name: str
    name: str
    instance_id: str
    revision: int
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HostInfo:
    """What ``ping.hosts`` and ``get.{host}.inv`` report about the host itself."""

    id: str
    issuer: str
    labels: Mapping[str, str]
    friendly_name: str
    uptime_seconds: int
    version: str
    cluster_issuers: tuple[str, ...]
    js_domain: str | None
    ctl_host: str
    rpc_host: str
    lattice_prefix: str


class ControlTarget(Protocol):
    """What a host offers to its control-interface server."""

    @property
    def host_id(self) -> str: ...

    def host_info(self) -> HostInfo: ...

    def actors(self) -> list[ActorInfo]: ...

    def providers(self) -> list[ProviderInfo]: ...

    def claims(self) -> list[dict[str, str]]:
        """Every claims-cache entry of the lattice: flat string maps as under ``CLAIMS_*`` (docs/protocol.md §7.2)."""
        ...

    def links(self) -> list[LinkDefinition]: ...

    async def put_link(self, link: LinkDefinition) -> None:
        """Store a link in the lattice bucket (the watch then applies it everywhere)."""
        ...

    async def delete_link(self, actor_id: str, contract_id: str, link_name: str) -> None: ...

    def matches_labels(self, constraints: Mapping[str, str]) -> bool: ...

    def runs_provider(self, provider_ref: str, link_name: str) -> bool:
        """True when this host already runs that provider (by ref or public key) with that link name."""
        ...

    async def launch_actor(self, actor_ref: str, count: int, annotations: Mapping[str, str]) -> None:
        """Validate quickly (raise CommandRejected), then start instances in the background."""
        ...

    async def stop_actor(self, actor_id: str, count: int, annotations: Mapping[str, str]) -> None:
        """Stop ``count`` matching instances (0 = all)."""
        ...

    async def scale_actor(self, actor_id: str, actor_ref: str, count: int, annotations: Mapping[str, str]) -> None: ...

    async def update_actor(self, actor_id: str, new_actor_ref: str, annotations: Mapping[str, str]) -> None: ...

    async def launch_provider(
        self, provider_ref: str, link_name: str, configuration: str | None, annotations: Mapping[str, str]
    ) -> None: ...

    async def stop_provider(self, provider_id: str, link_name: str, contract_id: str) -> None: ...

    async def stop_host(self, timeout_ms: int | None) -> None:
        """Begin a graceful stop (after the ack is sent)."""
        ...

    async def put_label(self, key: str, value: str) -> None: ...

    async def delete_label(self, key: str) -> None: ...

    async def put_registries(self, credentials: Mapping[str, Any]) -> None: ...

    async def publish_heartbeat(self) -> None:
        """Publish a heartbeat now (OTP 0.60+ does so on every ping)."""
        ...
