"""Runs one provider instance: connect, subscribe (docs/protocol.md §8 step 2), serve, and stop gracefully.

Subscriptions: the invocation subject with queue group ``rpc``; ``linkdefs.put``/``linkdefs.del``, ``health`` and
``shutdown`` without a queue group; and the lattice-wide providers ping, answered with a
:class:`~lattice.provider.status.ProviderReport` (identity and the state of every link). Each link applied or
refused is also announced as a ``linkdef_applied`` / ``linkdef_refused`` event (:mod:`lattice.provider.status`).
No callback waits for work: invocations go to a bounded task set, link changes to one ordered queue worker.
Shutdown (JSON ``{"host_id"}``, honoured when it names our host or is empty, or SIGTERM/SIGINT, or the parent
process going away) replies ``shutting down``, stops taking work, lets work in flight finish for a grace period,
runs ``on_shutdown`` and drains the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
from dataclasses import dataclass
from typing import Any

from lattice import keys, subjects
from lattice.natsconn import connect, flush_all
from lattice.provider.dispatch import Dispatcher, invocation_id_of
from lattice.provider.errors import LinkRefused, ProviderConfigError
from lattice.provider.hostdata import nats_options
from lattice.provider.links import LinkTable
from lattice.provider.provider import Provider, ProviderContext
from lattice.provider.status import (
    LINK_APPLIED_EVENT,
    LINK_REFUSED_EVENT,
    LINKED,
    REFUSED,
    LinkReport,
    ProviderReport,
    link_event,
)
from lattice.provider.stored_links import stored_links
from lattice.provider.tasks import DEFAULT_MAX_WAITING, BoundedTasks
from lattice.rpc import RpcClient, RpcSettings
from lattice.subjects import ProviderChannel
from lattice.wire import HealthCheckResponse, HostData, InvocationResponse, LinkDefinition, MessageMalformed
from lattice.wire.hostdata import DEFAULT_RPC_TIMEOUT_MS

SHUTTING_DOWN = b"shutting down"
DEFAULT_SHUTDOWN_GRACE_S = 1.5
DEFAULT_HOOK_TIMEOUT_S = 5.0
DEFAULT_DRAIN_TIMEOUT_S = 2
DEFAULT_PARENT_POLL_S = 1.0
DEFAULT_LINK_QUEUE = 10_000

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunnerTuning:
    shutdown_grace_s: float = DEFAULT_SHUTDOWN_GRACE_S
    hook_timeout_s: float = DEFAULT_HOOK_TIMEOUT_S
    drain_timeout_s: int = DEFAULT_DRAIN_TIMEOUT_S
    parent_poll_s: float = DEFAULT_PARENT_POLL_S
    link_queue: int = DEFAULT_LINK_QUEUE
    max_waiting: int = DEFAULT_MAX_WAITING


DEFAULT_TUNING = RunnerTuning()


def shutdown_host_id(data: bytes) -> str | None:
    """The ``host_id`` of a shutdown request ("" for an empty body); None when the body is not usable."""
    if not data.strip():
        return ""
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    value = body.get("host_id", "") if isinstance(body, dict) else None
    return value if isinstance(value, str) else None


class ProviderRunner:
    """One provider process's life on the lattice."""

    def __init__(
        self,
        cls: type[Provider],
        host_data: HostData,
        *,
        watch_parent: bool = False,
        tuning: RunnerTuning = DEFAULT_TUNING,
        manual: bool = False,
    ) -> None:
        self.cls = cls
        self.host_data = host_data
        self.watch_parent = watch_parent
        self.manual = manual
        self._nc: Any = None
        self.tuning = tuning
        self.links = LinkTable()
        self._stop = asyncio.Event()
        self._subs: list[Any] = []
        self._link_queue: asyncio.Queue[tuple[bool, LinkDefinition]] = asyncio.Queue(tuning.link_queue)
        self._tasks = BoundedTasks("invocations", cls.max_concurrent, tuning.max_waiting)
        self._side_tasks = BoundedTasks("health", 4, 16)
        self._background: list[asyncio.Task[None]] = []
        self.provider: Provider | None = None

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        hd = self.host_data
        try:
            cluster_key = keys.KeyPair.from_seed(hd.invocation_seed, keys.KeyType.CLUSTER)
        except keys.NKeyError as exc:
            raise ProviderConfigError(f"host data invocation_seed is not a cluster seed: {exc}") from exc
        opts = nats_options(hd, f"provider {hd.provider_key[:12]} {hd.link_name}")
        nc = await connect(opts, drain_timeout=self.tuning.drain_timeout_s)
        timeout_ms = hd.default_rpc_timeout_ms or DEFAULT_RPC_TIMEOUT_MS
        settings = RpcSettings(hd.lattice_rpc_prefix, hd.host_id, cluster_key, timeout_ms, js_domain=hd.js_domain)
        provider = self.cls(ProviderContext(hd, nc, RpcClient(nc, settings), self.links))
        self.provider = provider
        self._nc = nc
        try:
            await provider.on_start()
            links = list(hd.link_definitions)
            if self.manual:  # no host hands it the stored links: it reads them itself
                links += await stored_links(nc, hd.lattice_rpc_prefix, hd.js_domain, hd.provider_key, hd.link_name)
            for link in links:
                await self._apply(True, link)
            await self._subscribe(nc, Dispatcher(provider))
            self._install_signals()
            log.info("provider %s (%s) serving link name %s", hd.provider_key, provider.contract_id, hd.link_name)
            await self._stop.wait()
        finally:
            await self._close(nc, provider)

    # --- subscriptions --------------------------------------------------------------------------------------------

    async def _subscribe(self, nc: Any, dispatcher: Dispatcher) -> None:
        hd = self.host_data
        lattice, pk, link = hd.lattice_rpc_prefix, hd.provider_key, hd.link_name
        self._background.append(asyncio.create_task(self._link_worker()))
        if self.watch_parent:
            self._background.append(asyncio.create_task(self._watch_parent()))

        async def on_rpc(msg: Any) -> None:
            if not self._tasks.try_spawn(self._answer(msg, dispatcher)):
                busy = InvocationResponse.failure(invocation_id_of(msg.data), "provider busy: too many invocations")
                await self._respond(msg, busy.encode())

        def channel(ch: ProviderChannel) -> str:
            return subjects.provider_channel(lattice, pk, link, ch)

        self._subs = [
            await nc.subscribe(channel(ProviderChannel.LINKDEFS_PUT), cb=self._link_cb(put=True)),
            await nc.subscribe(channel(ProviderChannel.LINKDEFS_DEL), cb=self._link_cb(put=False)),
            await nc.subscribe(channel(ProviderChannel.HEALTH), cb=self._on_health),
            await nc.subscribe(channel(ProviderChannel.SHUTDOWN), cb=self._on_shutdown),
            await nc.subscribe(subjects.provider_rpc(lattice, pk, link), queue=subjects.PROVIDER_QUEUE, cb=on_rpc),
            await nc.subscribe(subjects.providers_ping(lattice), cb=self._on_ping),
        ]
        await flush_all(nc)

    async def _answer(self, msg: Any, dispatcher: Dispatcher) -> None:
        response = await dispatcher.answer(msg.data)
        await self._respond(msg, response.encode())

    @staticmethod
    async def _respond(msg: Any, data: bytes) -> None:
        if not msg.reply:
            return
        try:
            await msg.respond(data)
        except Exception as exc:  # connection closing: nothing else to tell the caller
            log.warning("could not reply on %s: %s", msg.subject, exc)

    def _link_cb(self, *, put: bool) -> Any:
        async def on_link(msg: Any) -> None:
            try:
                link = LinkDefinition.decode_msgpack(msg.data)
            except MessageMalformed as exc:
                log.warning("ignoring malformed link definition on %s: %s", msg.subject, exc)
                return
            try:
                self._link_queue.put_nowait((put, link))
            except asyncio.QueueFull:
                log.error("link queue full; dropping link %s for %s", "put" if put else "del", link.actor_id)

        return on_link

    async def _link_worker(self) -> None:
        while True:
            put, link = await self._link_queue.get()
            await self._apply(put, link)

    async def _on_health(self, msg: Any) -> None:
        async def answer() -> None:
            assert self.provider is not None
            try:
                response = await self.provider.health()
            except Exception as exc:
                log.exception("health hook failed")
                response = HealthCheckResponse(False, f"health check failed: {type(exc).__name__}")
            await self._respond(msg, response.encode())

        if not self._side_tasks.try_spawn(answer()):
            await self._respond(msg, HealthCheckResponse(False, "busy").encode())

    def report(self) -> ProviderReport:
        """Who this provider is and the state of every link it was given."""
        assert self.provider is not None
        hd, provider = self.host_data, self.provider
        links = [LinkReport(link.actor_id, LINKED) for link in self.links.all()]
        links += [LinkReport(actor, REFUSED, why) for actor, why in sorted(provider.refused_links.items())]
        return ProviderReport(
            provider_id=hd.provider_key,
            link_name=hd.link_name,
            contract_id=provider.contract_id,
            host_id=hd.host_id,
            instance_id=hd.instance_id,
            name=type(provider).__name__,
            manual=self.manual,
            links=tuple(links),
        )

    async def _on_ping(self, msg: Any) -> None:
        await self._respond(msg, self.report().encode())

    async def _announce(self, link: LinkDefinition, error: str | None) -> None:
        """``linkdef_applied`` or ``linkdef_refused`` on the lattice's event subject (best effort)."""
        hd = self.host_data
        data = {
            "actor_id": link.actor_id,
            "provider_id": link.provider_id,
            "link_name": link.link_name,
            "contract_id": link.contract_id,
            "host_id": hd.host_id,
            "instance_id": hd.instance_id,
        }
        name = LINK_APPLIED_EVENT if error is None else LINK_REFUSED_EVENT
        body = link_event(name, hd.provider_key, data if error is None else {**data, "error": error})
        try:
            await self._nc.publish(subjects.events(hd.lattice_rpc_prefix), body)
        except Exception as exc:  # connection closing: the ping still tells the truth
            log.debug("could not announce link of %s: %s", link.actor_id, exc)

    async def _on_shutdown(self, msg: Any) -> None:
        host_id = shutdown_host_id(msg.data)
        if host_id is None:
            await self._respond(msg, b'shutdown ignored: body is not JSON {"host_id": ...}')
        elif host_id and host_id != self.host_data.host_id:
            await self._respond(msg, b"shutdown ignored: addressed to another host")
        else:
            log.info("shutdown requested by host %s", host_id or "(unnamed)")
            await self._respond(msg, SHUTTING_DOWN)
            self.stop()

    # --- links ----------------------------------------------------------------------------------------------------

    async def _apply(self, put: bool, link: LinkDefinition) -> None:
        assert self.provider is not None
        hd = self.host_data
        if link.provider_id != hd.provider_key or link.link_name != hd.link_name:
            log.debug("ignoring link for %s/%s", link.provider_id[:12], link.link_name)
            return
        if put:
            await self._put(self.provider, link)
        else:
            self.provider.refused_links.pop(link.actor_id, None)
            known = self.links.remove(link.actor_id)
            if known is not None:
                await self._hook(self.provider.delete_link(known), f"delete_link({link.actor_id})")

    async def _put(self, provider: Provider, link: LinkDefinition) -> None:
        if self.links.is_duplicate(link):
            log.debug("ignoring duplicate link put for %s", link.actor_id)
            return
        old = self.links.remove(link.actor_id)
        if old is not None:
            await self._hook(provider.delete_link(old), f"delete_link({old.actor_id})")
        try:
            await provider.put_link(link)
        except LinkRefused as exc:
            log.error("link from actor %s refused: %s", link.actor_id, exc)
            provider.refused_links[link.actor_id] = str(exc)
            await self._announce(link, str(exc))
            return
        except Exception:
            log.exception("put_link for actor %s failed", link.actor_id)
            provider.refused_links[link.actor_id] = "put_link failed (see the provider's log)"
            await self._announce(link, provider.refused_links[link.actor_id])
            return
        provider.refused_links.pop(link.actor_id, None)
        self.links.put(link)
        log.info("linked actor %s", link.actor_id)
        await self._announce(link, None)

    async def _hook(self, work: Any, what: str) -> None:
        try:
            async with asyncio.timeout(self.tuning.hook_timeout_s):
                await work
        except Exception:
            log.exception("%s failed", what)

    # --- stopping -------------------------------------------------------------------------------------------------

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.stop)

    async def _watch_parent(self) -> None:
        parent = os.getppid()
        while True:
            await asyncio.sleep(self.tuning.parent_poll_s)
            if os.getppid() != parent:
                break
        log.warning("the host process (pid %d) went away; shutting down", parent)
        self.stop()

    async def _close(self, nc: Any, provider: Provider) -> None:
        for sub in self._subs:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
        if not await self._tasks.wait(self.tuning.shutdown_grace_s):
            log.warning("cancelling %d invocations still running at shutdown", len(self._tasks))
        await self._tasks.cancel()
        await self._side_tasks.cancel()
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        await self._hook(provider.on_shutdown(), "on_shutdown")
        with contextlib.suppress(Exception):
            await asyncio.wait_for(nc.drain(), self.tuning.drain_timeout_s + 1)
        if not nc.is_closed:
            await nc.close()
        log.info("provider %s stopped", self.host_data.provider_key)
