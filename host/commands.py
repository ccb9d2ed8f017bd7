"""The host's side of the control interface: :class:`HostCommands` implements :class:`ControlTarget`.

Commands validate quickly and raise :class:`CommandRejected` (the caller's ack carries the message); long work —
starting, scaling, updating actors — runs in the host's task group and reports through events.
:class:`host.host.Host` mixes this in and provides the parts declared below.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from host import events
from host.actors import ActorError, ActorManager
from host.actors.loader import local_path
from host.config import BUILTIN_LABEL_PREFIX, HostConfig
from host.control.target import ActorInfo, CommandRejected, HostInfo, ProviderInfo
from host.policy import PolicyAction, PolicyClient, PolicyDenied, PolicyEntity
from host.providers import ProviderSupervisor, ProviderSupervisorError
from host.providers import events as provider_events
from host.providers.refs import resolve as resolve_provider
from host.state import LatticeStore, StateError
from lattice import __version__, keys, subjects
from lattice.wire import LinkDefinition

PROVIDERS_DIR = "providers"

log = logging.getLogger(__name__)


class HostCommands:
    """ControlTarget methods over the parts a running :class:`host.host.Host` holds."""

    config: HostConfig
    host_key: keys.KeyPair
    cluster_key: keys.KeyPair
    cluster_issuers: tuple[str, ...]
    friendly_name: str
    labels: dict[str, str]
    started_at: float
    _events_nc: Any
    _store: LatticeStore
    _actors: ActorManager
    _providers: ProviderSupervisor
    _policy: PolicyClient | None

    def _spawn(self, coro: Coroutine[Any, Any, None], what: str) -> None:
        raise NotImplementedError  # provided by Host

    def request_stop(self) -> None:
        raise NotImplementedError  # provided by Host

    async def _publish_named(self, name: str, data: dict[str, Any]) -> None:
        raise NotImplementedError  # provided by Host

    # --- queries --------------------------------------------------------------------------------------------------

    @property
    def host_id(self) -> str:
        return self.host_key.public_key

    def uptime_seconds(self) -> int:
        return int(time.monotonic() - self.started_at)

    def host_info(self) -> HostInfo:
        cfg = self.config
        return HostInfo(
            id=self.host_id,
            issuer=self.cluster_key.public_key,
            labels=dict(self.labels),
            friendly_name=self.friendly_name,
            uptime_seconds=self.uptime_seconds(),
            version=__version__,
            cluster_issuers=self.cluster_issuers,
            js_domain=cfg.js_domain,
            ctl_host=f"{cfg.ctl_host}:{cfg.ctl_port}",
            rpc_host=f"{cfg.rpc_host}:{cfg.rpc_port}",
            lattice_prefix=cfg.lattice,
        )

    def actors(self) -> list[ActorInfo]:
        return self._actors.infos()

    def providers(self) -> list[ProviderInfo]:
        return self._providers.list()

    def claims(self) -> list[dict[str, str]]:
        return self._store.cache.all_claims()

    def links(self) -> list[LinkDefinition]:
        return self._store.cache.links()

    def matches_labels(self, constraints: Mapping[str, str]) -> bool:
        return all(self.labels.get(k) == v for k, v in constraints.items())

    def runs_provider(self, provider_ref: str, link_name: str) -> bool:
        return self._providers.runs(provider_ref, link_name)

    # --- links ----------------------------------------------------------------------------------------------------

    async def put_link(self, link: LinkDefinition) -> None:
        try:
            subjects.check_token(link.provider_id, "provider_id")
            subjects.check_token(link.link_name, "link_name")
            await self._store.put_link(link)
        except (subjects.SubjectError, StateError) as exc:
            raise CommandRejected(str(exc)) from None

    async def delete_link(self, actor_id: str, contract_id: str, link_name: str) -> None:
        try:
            await self._store.delete_link(actor_id, contract_id, link_name)
        except StateError as exc:
            raise CommandRejected(str(exc)) from None

    # --- actors ---------------------------------------------------------------------------------------------------

    def _check_ref(self, ref: str) -> None:
        try:
            local_path(ref, self.config.allow_file_load)
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

        self._spawn(run(), what)

    async def launch_actor(self, actor_ref: str, count: int, annotations: Mapping[str, str]) -> None:
        self._check_ref(actor_ref)
        self._check_count(count, 1)
        self._background(lambda: self._actors.start(actor_ref, count, annotations), f"start of {actor_ref}")

    async def stop_actor(self, actor_id: str, count: int, annotations: Mapping[str, str]) -> None:
        try:
            await self._actors.stop(actor_id, count, annotations)
        except ActorError as exc:
            raise CommandRejected(str(exc)) from None

    async def scale_actor(self, actor_id: str, actor_ref: str, count: int, annotations: Mapping[str, str]) -> None:
        self._check_count(count, 0)
        if actor_id not in self._actors.actors:
            if count == 0:
                raise CommandRejected(f"actor {actor_id or actor_ref} is not running on this host")
            self._check_ref(actor_ref)
        action = lambda: self._actors.scale(actor_id, actor_ref, count, annotations)  # noqa: E731
        self._background(action, f"scale of {actor_id or actor_ref}")

    async def update_actor(self, actor_id: str, new_actor_ref: str, annotations: Mapping[str, str]) -> None:
        if actor_id not in self._actors.actors:
            raise CommandRejected(f"actor {actor_id} is not running on this host")
        self._check_ref(new_actor_ref)
        action = lambda: self._actors.update(actor_id, new_actor_ref, annotations)  # noqa: E731
        self._background(action, f"update of {actor_id}")

    # --- providers ------------------------------------------------------------------------------------------------

    async def launch_provider(
        self, provider_ref: str, link_name: str, configuration: str | None, annotations: Mapping[str, str]
    ) -> None:
        if self.runs_provider(provider_ref, link_name):
            raise CommandRejected(f"provider {provider_ref} with link name {link_name!r} already runs on this host")

        async def start() -> None:
            try:
                await self._check_provider_policy(provider_ref, link_name)
            except (PolicyDenied, ProviderSupervisorError) as exc:
                data = provider_events.provider_start_failed(provider_ref, link_name, str(exc))
                await self._publish_named(provider_events.PROVIDER_START_FAILED, data)
                return
            try:
                await self._providers.start(provider_ref, link_name, configuration, annotations)
            except ProviderSupervisorError as exc:  # already reported by provider_start_failed
                log.info("start of provider %s failed: %s", provider_ref, exc)

        self._spawn(start(), f"start of provider {provider_ref}")

    async def _check_provider_policy(self, provider_ref: str, link_name: str) -> None:
        """With a policy service, read the provider's claims first and ask before starting it."""
        if self._policy is None:
            return
        cfg = self.config
        state_dir = cfg.state_dir / PROVIDERS_DIR
        resolved = await asyncio.to_thread(resolve_provider, provider_ref, link_name, state_dir, cfg.allow_file_load)
        claims = resolved.claims
        source = PolicyEntity(
            claims.subject, claims.metadata.capid, link_name, (), claims.issuer, str(claims.issued_at), claims.expires
        )
        await self._policy.check(PolicyAction.START_PROVIDER, source, PolicyEntity(self.host_id))

    async def stop_provider(self, provider_id: str, link_name: str, contract_id: str) -> None:
        try:
            await self._providers.stop(provider_id, link_name)
        except ProviderSupervisorError as exc:
            raise CommandRejected(str(exc)) from None

    # --- host -----------------------------------------------------------------------------------------------------

    async def stop_host(self, timeout_ms: int | None) -> None:
        self.request_stop()

    async def put_label(self, key: str, value: str) -> None:
        if not key or key.startswith(BUILTIN_LABEL_PREFIX):
            raise CommandRejected(f"label {key!r} cannot be set: empty or reserved ({BUILTIN_LABEL_PREFIX}*)")
        self.labels[key] = value

    async def delete_label(self, key: str) -> None:
        if key.startswith(BUILTIN_LABEL_PREFIX):
            raise CommandRejected(f"label {key!r} is built in and cannot be removed")
        if self.labels.pop(key, None) is None:
            raise CommandRejected(f"this host has no label {key!r}")

    async def put_registries(self, credentials: Mapping[str, Any]) -> None:
        log.info(
            "registry credentials for %d servers ignored: this host loads actors from files only", len(credentials)
        )

    async def publish_heartbeat(self) -> None:
        providers = [
            {"public_key": p.id, "link_name": p.link_name, "contract_id": p.contract_id} for p in self.providers()
        ]
        event = events.host_heartbeat(
            self.host_id,
            actors=self._actors.counts(),
            providers=providers,
            labels=self.labels,
            friendly_name=self.friendly_name,
            version=__version__,
            uptime_seconds=self.uptime_seconds(),
        )
        await events.publish(self._events_nc, self.config.lattice, event)
