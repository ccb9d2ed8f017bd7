"""The host side of capability providers: start, watch, restart and stop provider processes (docs/protocol.md §8).

``start`` resolves the reference, spawns the process with HostData on stdin and waits for its first health answer
(within ``start_timeout_s``) before it stores the claims and publishes ``provider_started``; any failure publishes
``provider_start_failed`` and raises :class:`ProviderStartFailed`. A provider that exits unexpectedly is reported
(``provider_stopped`` with the exit reason) and restarted with exponential backoff, with its current links in the new
HostData. ``stop`` asks the provider to shut down (JSON ``{"host_id"}``), then kills its process group.

The supervisor is an async context manager: its watch tasks and the processes' output pumps live in its own
:class:`host.tasks.TaskScope`, and leaving it stops every provider it still runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from host.artifacts import same_ref
from host.control.target import ProviderInfo
from host.providers import events
from host.providers.errors import ProviderNotRunning, ProviderStartFailed
from host.providers.hostdata import HostIdentity, build_host_data
from host.providers.process import ProviderProcess, describe_exit
from host.providers.refs import ProviderSources, ResolvedProvider
from host.providers.timings import DEFAULT_TIMINGS, Backoff, SupervisorTimings
from host.tasks import TaskScope
from lattice import subjects
from lattice.claims import ProviderClaims
from lattice.subjects import ProviderChannel
from lattice.wire import HEALTH_REQUEST, HealthCheckResponse, LinkDefinition, MessageMalformed

PublishEvent = Callable[[str, dict[str, Any]], Awaitable[None]]
LinksFor = Callable[[str, str], list[LinkDefinition]]
StoreClaims = Callable[[ProviderClaims], Awaitable[None]]
Approve = Callable[[ProviderClaims, str], Awaitable[None]]
"""Asked with the verified claims and link name before anything is written or run; raises
:class:`ProviderStartFailed` to refuse (the host's policy check)."""
STOP_REASON_NORMAL = "normal"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SupervisorHooks:
    """What the supervisor asks of its host: publish an event, the links a provider starts with, store its claims,
    and (optionally) approve a start."""

    publish_event: PublishEvent
    links_for: LinksFor
    store_claims: StoreClaims
    approve: Approve | None = None


@dataclass
class Running:
    """One provider instance this host runs (restarts keep the record and its instance id)."""

    resolved: ResolvedProvider
    link_name: str
    config_json: str | None
    annotations: Mapping[str, str]
    instance_id: str
    process: ProviderProcess
    backoff: Backoff
    stop_requested: asyncio.Event = field(default_factory=asyncio.Event)
    healthy: bool | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def stopping(self) -> bool:
        return self.stop_requested.is_set()

    @property
    def key(self) -> tuple[str, str]:
        return (self.resolved.public_key, self.link_name)

    @property
    def prefix(self) -> str:
        return f"[provider {self.resolved.public_key} {self.link_name}]"

    def info(self) -> ProviderInfo:
        """What the inventory reports; the annotations also say where the provider's bytes came from."""
        r = self.resolved
        return ProviderInfo(
            id=r.public_key,
            image_ref=r.image_ref,
            contract_id=r.contract_id,
            link_name=self.link_name,
            name=r.claims.metadata.name or "",
            instance_id=self.instance_id,
            revision=r.revision,
            annotations={**self.annotations, **r.provenance.annotations()},
        )


class ProviderSupervisor:
    """See the module docstring. ``nc`` asks providers for their health and to shut down."""

    def __init__(
        self,
        nc: Any,
        host: HostIdentity,
        hooks: SupervisorHooks,
        sources: ProviderSources,
        timings: SupervisorTimings = DEFAULT_TIMINGS,
    ) -> None:
        self._nc = nc
        self.host = host
        self._hooks = hooks
        self.sources = sources
        self.timings = timings
        self._tasks = TaskScope("provider supervisor")
        self._running: dict[tuple[str, str], Running] = {}
        self._starting: set[tuple[str, str]] = set()

    async def __aenter__(self) -> Self:
        await self._tasks.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            await self.stop_all()
        finally:
            await self._tasks.__aexit__(exc_type, exc, tb)

    # --- queries --------------------------------------------------------------------------------------------------

    def list(self) -> list[ProviderInfo]:
        return [r.info() for r in self._running.values()]

    def runs(self, provider_ref_or_key: str, link_name: str) -> bool:
        return any(
            r.link_name == link_name
            and (provider_ref_or_key == r.resolved.public_key or same_ref(provider_ref_or_key, r.resolved.image_ref))
            for r in self._running.values()
        )

    def process_id(self, provider_id: str, link_name: str) -> int | None:
        """The OS process id of a running provider (None when it does not run here)."""
        running = self._running.get((provider_id, link_name))
        return None if running is None or running.process.returncode is not None else running.process.pid

    # --- start ----------------------------------------------------------------------------------------------------

    async def start(
        self, provider_ref: str, link_name: str, config_json: str | None, annotations: Mapping[str, str]
    ) -> ProviderInfo:
        try:
            return await self._start(provider_ref, link_name, config_json, annotations)
        except ProviderStartFailed as exc:
            log.warning("provider %s (%s) failed to start: %s", provider_ref, link_name, exc)
            await self._emit(
                events.PROVIDER_START_FAILED, events.provider_start_failed(provider_ref, link_name, str(exc))
            )
            raise

    async def _start(
        self, ref: str, link_name: str, config_json: str | None, annotations: Mapping[str, str]
    ) -> ProviderInfo:
        if self.runs(ref, link_name):
            raise ProviderStartFailed(f"provider {ref} with link name {link_name!r} already runs on this host")
        fetched = await self.sources.fetch(ref)
        key = (fetched.claims.subject, link_name)
        if key in self._running or key in self._starting:
            raise ProviderStartFailed(
                f"provider {fetched.claims.subject} with link name {link_name!r} already runs on this host"
            )
        self._starting.add(key)
        try:
            if self._hooks.approve is not None:
                await self._hooks.approve(fetched.claims, link_name)
            resolved = await self.sources.prepare(fetched, link_name)
            instance_id = str(uuid.uuid4())
            process = await self._launch(resolved, link_name, instance_id, config_json)
        finally:
            self._starting.discard(key)
        running = Running(
            resolved, link_name, config_json, dict(annotations), instance_id, process, Backoff(self.timings)
        )
        self._running[key] = running
        try:
            await self._hooks.store_claims(resolved.claims)
        except Exception:  # the provider runs; the lattice just lacks its claims until the next start
            log.exception("%s could not store its claims", running.prefix)
        running.tasks = [
            self._tasks.spawn(self._supervise(running), f"supervision of {running.prefix}"),
            self._tasks.spawn(self._health_loop(running), f"health checks of {running.prefix}"),
        ]
        await self._emit_started(running)
        log.info("%s started (pid %d)", running.prefix, process.pid)
        return running.info()

    async def _launch(
        self, resolved: ResolvedProvider, link_name: str, instance_id: str, config_json: str | None
    ) -> ProviderProcess:
        """Spawn with current links in HostData and wait for the first health answer; kill it on failure."""
        links = self._hooks.links_for(resolved.public_key, link_name)
        host_data = build_host_data(self.host, resolved.public_key, link_name, instance_id, links, config_json)
        prefix = f"[provider {resolved.public_key} {link_name}]"
        process = await ProviderProcess.spawn(resolved.argv, host_data, prefix, self._tasks.spawn)
        try:
            await self._await_ready(process, resolved.public_key, link_name)
        except BaseException:
            await process.kill()
            raise
        return process

    async def _await_ready(self, process: ProviderProcess, public_key: str, link_name: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timings.start_timeout_s
        while loop.time() < deadline:
            if process.returncode is not None:
                await process.wait()
                raise ProviderStartFailed(
                    f"provider process {describe_exit(process.returncode)} during start; its last output:\n"
                    f"{process.tail_text()}"
                )
            if await self._check_health(public_key, link_name, self.timings.ready_poll_s * 5) is not None:
                return
            await asyncio.sleep(self.timings.ready_poll_s)
        raise ProviderStartFailed(
            f"provider did not answer a health check within {self.timings.start_timeout_s:g}s; its last output:\n"
            f"{process.tail_text()}"
        )

    # --- watching -------------------------------------------------------------------------------------------------

    async def _check_health(self, public_key: str, link_name: str, timeout_s: float) -> bool | None:
        """True/False from the provider's answer (an undecodable answer counts as healthy, as OTP counts any reply);
        None when it did not answer."""
        subject = subjects.provider_channel(self.host.lattice, public_key, link_name, ProviderChannel.HEALTH)
        try:
            reply = await self._nc.request(subject, HEALTH_REQUEST, timeout=timeout_s)
        except Exception:  # timeout, no responders, connection trouble: no answer
            return None
        try:
            return HealthCheckResponse.decode(reply.data).healthy
        except MessageMalformed:
            return True

    async def _health_loop(self, running: Running) -> None:
        await asyncio.sleep(self.timings.health_first_s)
        r = running.resolved
        while not running.stopping():
            answer = await self._check_health(r.public_key, running.link_name, self.host.rpc_timeout_ms / 1000)
            healthy = bool(answer)
            if running.stopping():
                return
            name = events.health_event_name(running.healthy, healthy)
            running.healthy = healthy
            await self._emit(name, events.health_check(r.public_key, r.contract_id, running.link_name))
            await asyncio.sleep(self.timings.health_interval_s)

    async def _supervise(self, running: Running) -> None:
        """Restart the provider whenever its process ends without being asked to."""
        while True:
            code = await running.process.wait()
            if running.stopping():
                return
            reason = describe_exit(code)
            log.warning("%s %s unexpectedly; last output:\n%s", running.prefix, reason, running.process.tail_text())
            await self._emit_stopped(running, reason)
            delay = running.backoff.delay(running.process.uptime)
            await asyncio.sleep(delay)
            if running.stopping():
                return
            await self._restart(running)

    async def _restart(self, running: Running) -> None:
        r = running.resolved
        try:
            running.process = await self._launch(r, running.link_name, running.instance_id, running.config_json)
        except ProviderStartFailed as exc:
            log.warning("%s restart failed: %s", running.prefix, exc)
            return  # the dead process makes _supervise try again after the next delay
        log.info("%s restarted (pid %d)", running.prefix, running.process.pid)
        await self._emit_started(running)

    # --- stop -----------------------------------------------------------------------------------------------------

    async def stop(self, provider_id: str, link_name: str) -> None:
        running = self._running.get((provider_id, link_name))
        if running is None:
            raise ProviderNotRunning(f"provider {provider_id} with link name {link_name!r} does not run on this host")
        running.stop_requested.set()
        for task in running.tasks:
            task.cancel()
        await asyncio.gather(*running.tasks, return_exceptions=True)
        await self._shutdown(running)
        self._running.pop(running.key, None)
        await self._emit_stopped(running, STOP_REASON_NORMAL)
        log.info("%s stopped", running.prefix)

    async def _shutdown(self, running: Running) -> None:
        subject = subjects.provider_channel(
            self.host.lattice, running.resolved.public_key, running.link_name, ProviderChannel.SHUTDOWN
        )
        body = json.dumps({"host_id": self.host.host_id}).encode()
        if running.process.returncode is None:
            with contextlib.suppress(Exception):
                await self._nc.request(subject, body, timeout=self.timings.shutdown_request_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(running.process.wait(), self.timings.exit_grace_s)
        await running.process.kill()

    async def stop_all(self) -> None:
        running = list(self._running.values())
        results = await asyncio.gather(*(self.stop(*r.key) for r in running), return_exceptions=True)
        for r, result in zip(running, results, strict=True):
            if isinstance(result, BaseException) and not isinstance(result, ProviderNotRunning):
                log.error("%s could not be stopped cleanly: %s", r.prefix, result)

    # --- events ---------------------------------------------------------------------------------------------------

    async def _emit(self, name: str, data: dict[str, Any]) -> None:
        try:
            await self._hooks.publish_event(name, data)
        except Exception:
            log.exception("could not publish %s", name)

    async def _emit_started(self, running: Running) -> None:
        r = running.resolved
        data = events.provider_started(
            r.claims, r.image_ref, running.link_name, running.instance_id, running.annotations, self.host.host_id
        )
        await self._emit(events.PROVIDER_STARTED, data)

    async def _emit_stopped(self, running: Running, reason: str) -> None:
        r = running.resolved
        data = events.provider_stopped(
            r.public_key, running.link_name, r.contract_id, running.instance_id, running.annotations, reason
        )
        await self._emit(events.PROVIDER_STOPPED, data)
