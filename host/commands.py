"""The host's side of the control interface: :class:`HostCommands` implements :class:`ControlTarget`.

Commands validate quickly and raise :class:`CommandRejected` (the caller's ack carries the message); long work —
starting, scaling, updating actors — runs in the host's task scope and reports through events. The commands act on
the parts of a running host, handed over as one :class:`host.parts.HostParts`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from host.actors import ActorError
from host.artifacts import CredentialsRejected, put_credentials
from host.control.target import ActorInfo, CommandRejected, HostInfo, ProviderInfo
from host.identity import LabelRejected
from host.parts import HostParts
from host.providers import ProviderSupervisorError
from host.state import StateError
from lattice import __version__, subjects
from lattice.wire import LinkDefinition

log = logging.getLogger(__name__)


class HostCommands:
    """ControlTarget methods over the parts of a running host."""

    def __init__(self, parts: HostParts) -> None:
        self._p = parts
        self.config = parts.config

    # --- queries --------------------------------------------------------------------------------------------------

    @property
    def host_id(self) -> str:
        return self._p.identity.host_id

    def host_info(self) -> HostInfo:
        cfg, me = self.config, self._p.identity
        return HostInfo(
            id=me.host_id,
            issuer=me.cluster_key.public_key,
            labels=dict(self._p.labels),
            friendly_name=me.friendly_name,
            uptime_seconds=me.uptime_seconds(),
            version=__version__,
            cluster_issuers=me.cluster_issuers,
            js_domain=cfg.js_domain,
            ctl_host=f"{cfg.ctl_host}:{cfg.ctl_port}",
            rpc_host=f"{cfg.rpc_host}:{cfg.rpc_port}",
            lattice_prefix=cfg.lattice,
        )

    def actors(self) -> list[ActorInfo]:
        return self._p.actors.infos()

    def providers(self) -> list[ProviderInfo]:
        return self._p.providers.list()

    def claims(self) -> list[dict[str, str]]:
        return self._p.store.cache.all_claims()

    def links(self) -> list[LinkDefinition]:
        return self._p.store.cache.links()

    def matches_labels(self, constraints: Mapping[str, str]) -> bool:
        return self._p.labels.matches(constraints)

    def runs_provider(self, provider_ref: str, link_name: str) -> bool:
        return self._p.providers.runs(provider_ref, link_name)

    # --- links ----------------------------------------------------------------------------------------------------

    async def put_link(self, link: LinkDefinition) -> None:
        try:
            subjects.check_token(link.provider_id, "provider_id")
            subjects.check_token(link.link_name, "link_name")
            await self._p.store.put_link(link)
        except (subjects.SubjectError, StateError) as exc:
            raise CommandRejected(str(exc)) from None

    async def delete_link(self, actor_id: str, contract_id: str, link_name: str) -> None:
        try:
            await self._p.store.delete_link(actor_id, contract_id, link_name)
        except StateError as exc:
            raise CommandRejected(str(exc)) from None

    # --- actors ---------------------------------------------------------------------------------------------------

    def _check_ref(self, ref: str) -> None:
        try:
            self._p.actors.modules.check(ref)
        except ActorError as exc:
            raise CommandRejected(str(exc)) from None

    def _check_count(self, count: int, minimum: int) -> None:
        if not minimum <= count <= self.config.actor_max_instances:
            limit = self.config.actor_max_instances
            raise CommandRejected(f"count {count} is outside {minimum}..{limit} on this host")

    def _background(self, call: Callable[[], Coroutine[Any, Any, Any]], what: str) -> None:
        async def run() -> None:
            try:
                await call()
            except ActorError as exc:  # already reported by an event
                log.info("%s failed: %s", what, exc)

        self._p.tasks.spawn(run(), what)

    async def launch_actor(self, actor_ref: str, count: int, annotations: Mapping[str, str]) -> None:
        self._check_ref(actor_ref)
        self._check_count(count, 1)
        self._background(lambda: self._p.actors.start(actor_ref, count, annotations), f"start of {actor_ref}")

    async def stop_actor(self, actor_id: str, count: int, annotations: Mapping[str, str]) -> None:
        try:
            await self._p.actors.stop(actor_id, count, annotations)
        except ActorError as exc:
            raise CommandRejected(str(exc)) from None

    async def scale_actor(self, actor_id: str, actor_ref: str, count: int, annotations: Mapping[str, str]) -> None:
        """Without an actor id (ctl client 0.30+), the actor running from ``actor_ref`` is the one scaled."""
        self._check_count(count, 0)
        actor_id = actor_id or self._p.actors.key_for_ref(actor_ref) or ""
        if actor_id not in self._p.actors.actors:
            if count == 0:
                raise CommandRejected(f"actor {actor_id or actor_ref} is not running on this host")
            self._check_ref(actor_ref)
        action = lambda: self._p.actors.scale(actor_id, actor_ref, count, annotations)  # noqa: E731
        self._background(action, f"scale of {actor_id or actor_ref}")

    async def update_actor(self, actor_id: str, new_actor_ref: str, annotations: Mapping[str, str]) -> None:
        if actor_id not in self._p.actors.actors:
            raise CommandRejected(f"actor {actor_id} is not running on this host")
        self._check_ref(new_actor_ref)
        action = lambda: self._p.actors.update(actor_id, new_actor_ref, annotations)  # noqa: E731
        self._background(action, f"update of {actor_id}")

    # --- providers ------------------------------------------------------------------------------------------------

    async def launch_provider(
        self, provider_ref: str, link_name: str, configuration: str | None, annotations: Mapping[str, str]
    ) -> None:
        if self.runs_provider(provider_ref, link_name):
            raise CommandRejected(f"provider {provider_ref} with link name {link_name!r} already runs on this host")

        async def start() -> None:
            try:
                await self._p.providers.start(provider_ref, link_name, configuration, annotations)
            except ProviderSupervisorError as exc:  # already reported by provider_start_failed
                log.info("start of provider %s failed: %s", provider_ref, exc)

        self._p.tasks.spawn(start(), f"start of provider {provider_ref}")

    async def stop_provider(self, provider_id: str, link_name: str, contract_id: str) -> None:
        try:
            await self._p.providers.stop(provider_id, link_name)
        except ProviderSupervisorError as exc:
            raise CommandRejected(str(exc)) from None

    # --- host -----------------------------------------------------------------------------------------------------

    async def stop_host(self, timeout_ms: int | None) -> None:
        self._p.request_stop()

    async def put_label(self, key: str, value: str) -> None:
        try:
            self._p.labels.put(key, value)
        except LabelRejected as exc:
            raise CommandRejected(str(exc)) from None

    async def delete_label(self, key: str) -> None:
        try:
            self._p.labels.delete(key)
        except LabelRejected as exc:
            raise CommandRejected(str(exc)) from None

    async def put_registries(self, credentials: Mapping[str, Any]) -> None:
        """Use these credentials for later pulls (never logged, never reported); one bad server name stores none."""
        try:
            put_credentials(self._p.artifacts, credentials)
        except CredentialsRejected as exc:
            raise CommandRejected(str(exc)) from None

    async def publish_heartbeat(self) -> None:
        await self._p.heartbeat.beat()
