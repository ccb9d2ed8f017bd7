"""The host: joins a lattice over NATS and runs actors and providers. An async context manager.

::

    async with Host(config) as host:      # connected, bucket open and watched, control interface up
        await host.serve_forever()         # until SIGINT/SIGTERM or a ctl ``stop`` command

Start: connect NATS (one connection when the RPC and control settings agree), open/create the lattice bucket and
watch it, start the wasm runtime, the control server and the heartbeat, publish ``host_started``.
Stop (graceful): unsubscribe every actor (stop taking work), stop the control server, finish in-flight calls and
close the actors, stop the providers, publish ``host_stopped``, cancel background tasks, drain NATS.
Background tasks live in one :class:`asyncio.TaskGroup` and never raise into it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from collections.abc import Coroutine
from dataclasses import replace
from types import TracebackType
from typing import Any, Self

from host import events
from host.actors import ActorContext, ActorManager, ActorSettings
from host.commands import PROVIDERS_DIR, HostCommands
from host.config import HostConfig, builtin_labels
from host.control.server import ControlServer
from host.errors import HostError
from host.invocations import InboundPipeline, InboxLimits, RouterContext
from host.namegen import friendly_name
from host.policy import PolicyClient, PolicySettings
from host.providers import HostDataNats, ProviderSupervisor
from host.runtime import Runtime, RuntimeConfig
from host.state import LatticeStore, provider_claims_record
from lattice import __version__, keys
from lattice.app.reconcile import Reconciler
from lattice.claims import ProviderClaims
from lattice.natsconn import NatsOptions, connect
from lattice.rpc import RpcClient, RpcSettings
from lattice.wire import LinkDefinition

DEFAULT_SYNC_TIMEOUT_S = 10.0
DEFAULT_DRAIN_TIMEOUT_S = 5
WASM_CACHE_DIR = "wasm-cache"

log = logging.getLogger(__name__)


class HostStartError(HostError):
    """The host could not join the lattice (NATS, JetStream or the lattice bucket unavailable)."""


def _keys(config: HostConfig) -> tuple[keys.KeyPair, keys.KeyPair]:
    host_key = (
        keys.KeyPair.from_seed(config.host_seed, keys.KeyType.SERVER)
        if config.host_seed
        else keys.KeyPair.create(keys.KeyType.SERVER)
    )
    if config.cluster_seed:
        return host_key, keys.KeyPair.from_seed(config.cluster_seed, keys.KeyType.CLUSTER)
    cluster = keys.KeyPair.create(keys.KeyType.CLUSTER)
    log.warning(
        "no cluster seed given: using a random cluster key %s; other hosts will only accept this host's "
        "invocations if they list it in their cluster issuers",
        cluster.public_key,
    )
    return host_key, cluster


class Host(HostCommands):
    """One lattice host; see the module docstring. Implements :class:`host.control.target.ControlTarget`."""

    def __init__(self, config: HostConfig, *, runtime_config: RuntimeConfig | None = None) -> None:
        self.config = config
        self.host_key, self.cluster_key = _keys(config)
        self.cluster_issuers = tuple(dict.fromkeys([*config.cluster_issuers, self.cluster_key.public_key]))
        self.friendly_name = friendly_name()
        self.labels = {**builtin_labels(), **config.labels}
        self.started_at = time.monotonic()
        self._runtime_config = runtime_config or RuntimeConfig(cache_dir=config.state_dir / WASM_CACHE_DIR)
        self._stack = contextlib.AsyncExitStack()
        self._tg: asyncio.TaskGroup | None = None
        self._loops: list[asyncio.Task[None]] = []
        self._stop_requested = asyncio.Event()
        self._policy: PolicyClient | None = None
        self._ctl: ControlServer | None = None
        self._apps: Reconciler | None = None
        self._stopped = False

    # --- lifecycle ------------------------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        try:
            await self._start()
        except BaseException:
            await self._cancel_loops()
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            await self._shutdown()
        finally:
            await self._stack.aclose()

    async def _start(self) -> None:
        cfg = self.config
        self._rpc_nc = await self._connect(cfg.rpc_nats(), "rpc")
        same = cfg.ctl_nats() == cfg.rpc_nats()
        self._events_nc = self._rpc_nc if same else await self._connect(cfg.ctl_nats(), "ctl")
        self._runtime = self._stack.enter_context(Runtime(self._runtime_config))
        self._tg = await self._stack.enter_async_context(asyncio.TaskGroup())
        self._store = LatticeStore(self._events_nc, cfg.lattice, cfg.js_domain, cfg.js_replicas)
        await self._store.open()
        self._loops.append(self._tg.create_task(self._store.watch()))
        await self._wait_synced()
        await self._start_policy()
        self._rpc = RpcClient(
            self._rpc_nc,
            RpcSettings(cfg.lattice, self.host_id, self.cluster_key, cfg.rpc_timeout_ms, js_domain=cfg.js_domain),
        )
        self._actors = ActorManager(self._actor_context())
        self._providers = self._provider_supervisor()
        self._ctl = ControlServer(self._events_nc, cfg.lattice, self, cfg.ctl_topic_prefix)
        await self._ctl.start()
        if cfg.app_reconciler:
            self._apps = Reconciler(
                self._events_nc,
                cfg.lattice,
                self.host_id,
                ctl_prefix=cfg.ctl_topic_prefix,
                js_domain=cfg.js_domain,
                interval_s=cfg.app_reconcile_interval_s,
            )
            await self._apps.start()
        await events.publish(
            self._events_nc,
            cfg.lattice,
            events.host_started(self.host_id, self.labels, self.friendly_name, __version__),
        )
        self._loops.append(self._tg.create_task(self._heartbeats()))
        log.info("host %s (%s) joined lattice %s", self.friendly_name, self.host_id, cfg.lattice)

    async def _connect(self, opts: NatsOptions, role: str) -> Any:
        nc = await connect(_named(opts, f"wasmlattice host {self.friendly_name} {role}"))

        async def drain() -> None:
            if not nc.is_closed:
                try:
                    await nc.drain()
                except Exception as exc:
                    log.debug("draining the %s connection failed: %s", role, exc)

        self._stack.push_async_callback(drain)
        return nc

    async def _wait_synced(self) -> None:
        try:
            async with asyncio.timeout(DEFAULT_SYNC_TIMEOUT_S):
                await self._store.synced.wait()
        except TimeoutError:
            raise HostStartError(f"the lattice bucket {self._store.bucket} did not replay in time") from None

    async def _start_policy(self) -> None:
        cfg = self.config
        if not cfg.policy_topic:
            return
        settings = PolicySettings(cfg.policy_topic, cfg.policy_timeout_ms, cfg.policy_changes_topic)
        self._policy = PolicyClient(self._events_nc, settings, self._policy_host)
        await self._policy.start()

    def _policy_host(self) -> dict[str, Any]:
        return {
            "publicKey": self.host_id,
            "issuer": self.cluster_key.public_key,
            "latticeId": self.config.lattice,
            "labels": dict(self.labels),
            "clusterIssuers": list(self.cluster_issuers),
        }

    def _actor_context(self) -> ActorContext:
        cfg = self.config
        settings = ActorSettings(
            lattice=cfg.lattice,
            host_id=self.host_id,
            allow_file_load=cfg.allow_file_load,
            actor_issuers=cfg.actor_issuers,
            memory_bytes=cfg.actor_memory_bytes,
            deadline_ms=cfg.actor_deadline_ms,
            max_instances=cfg.actor_max_instances,
            inbox=InboxLimits(workers=cfg.actor_max_in_flight),
        )
        pipeline = InboundPipeline(
            self._rpc_nc,
            cfg.lattice,
            self.host_id,
            self._rpc,
            self._store.cache,
            lambda: self.cluster_issuers,
            self._policy,
        )
        router = RouterContext(
            loop=asyncio.get_running_loop(),
            loop_thread=threading.get_ident(),
            nc=self._rpc_nc,
            lattice=cfg.lattice,
            host_id=self.host_id,
            cache=self._store.cache,
            rpc=self._rpc,
            policy=self._policy,
            timeout_ms=cfg.rpc_timeout_ms,
        )
        return ActorContext(
            settings,
            self._runtime,
            self._rpc_nc,
            self._store,
            pipeline,
            router,
            self._policy,
            self._publish,
            self.spawn,
        )

    def _provider_supervisor(self) -> ProviderSupervisor:
        cfg = self.config
        return ProviderSupervisor(
            nc=self._rpc_nc,
            host_id=self.host_id,
            lattice=cfg.lattice,
            cluster_seed=self.cluster_key.seed,
            cluster_issuers=self.cluster_issuers,
            rpc_timeout_ms=cfg.rpc_timeout_ms,
            provider_nats=provider_nats(cfg),
            js_domain=cfg.js_domain,
            publish_event=self._publish_named,
            links_for=self._links_for,
            store_claims=self._store_provider_claims,
            state_dir=cfg.state_dir / PROVIDERS_DIR,
            allow_file_load=cfg.allow_file_load,
        )

    def _links_for(self, provider_id: str, link_name: str) -> list[LinkDefinition]:
        return self._store.cache.links_for_provider(provider_id, link_name)

    async def _store_provider_claims(self, claims: ProviderClaims) -> None:
        await self._store.put_claims(provider_claims_record(claims))

    async def _publish(self, event: events.Event) -> None:
        await events.publish(self._events_nc, self.config.lattice, event)

    async def _publish_named(self, name: str, data: dict[str, Any]) -> None:
        await self._publish(events.cloud_event(name, self.host_id, data))

    def spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run ``coro`` in the host's task group (it must not raise; see :meth:`_spawn` for a guarded one)."""
        if self._tg is None:
            coro.close()
            raise HostError("the host is not running")
        return self._tg.create_task(coro)

    def _spawn(self, coro: Coroutine[Any, Any, None], what: str) -> None:
        async def guarded() -> None:
            try:
                await coro
            except Exception:
                log.exception("%s failed", what)

        self.spawn(guarded())

    async def _heartbeats(self) -> None:
        while True:
            await self.publish_heartbeat()
            await asyncio.sleep(self.config.heartbeat_interval_s)

    def request_stop(self) -> None:
        """Ask :meth:`serve_forever` to return (signals, the ctl ``stop`` command)."""
        self._stop_requested.set()

    async def serve_forever(self) -> None:
        """Run until SIGINT/SIGTERM or a stop command; the caller's ``async with`` then stops gracefully."""
        loop = asyncio.get_running_loop()
        installed = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.request_stop)
                installed.append(sig)
        try:
            await self._stop_requested.wait()
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)

    async def _shutdown(self) -> None:
        if self._stopped or self._tg is None:
            return
        self._stopped = True
        log.info("host %s stopping", self.host_id)
        try:
            if self._apps is not None:
                await self._apps.stop()
            await self._actors.stop_taking_work()
            if self._ctl is not None:
                await self._ctl.stop()
            await self._actors.stop_all()
            await self._providers.stop_all()
            await self._publish(events.host_stopped(self.host_id, self.labels))
            if self._policy is not None:
                await self._policy.stop()
        finally:
            await self._cancel_loops()

    async def _cancel_loops(self) -> None:
        for task in self._loops:
            task.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        self._loops = []


def provider_nats(config: HostConfig) -> HostDataNats:
    """What providers are told about NATS (``WASMCLOUD_PROV_RPC_*``): ``host:port``, credentials, TLS."""
    opts = config.prov_nats()
    return HostDataNats(
        url=f"{config.prov_rpc_host}:{config.prov_rpc_port}",
        jwt=opts.jwt or "",
        seed=opts.seed or "",
        tls=opts.uses_tls,
        tls_ca=str(opts.tls_ca or ""),
        tls_cert=str(opts.tls_cert or ""),
        tls_key=str(opts.tls_key or ""),
        creds_file=str(opts.creds_file or ""),
    )


def _named(opts: NatsOptions, name: str) -> NatsOptions:
    return replace(opts, name=name)


async def run_host(config: HostConfig) -> None:
    """Run one host until SIGINT/SIGTERM or a ctl ``stop`` command, then stop gracefully."""
    async with Host(config) as host:
        await host.serve_forever()
