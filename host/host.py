"""The host: joins a lattice over NATS and runs actors and providers. An async context manager.

::

    async with Host(config) as host:      # connected, bucket open and watched, control interface up
        await host.serve_forever()         # until SIGINT/SIGTERM or a ctl ``stop`` command

Start: connect NATS (one connection when the RPC and control settings agree), open/create the lattice bucket and
watch it, start the wasm runtime, the control server and the heartbeat, publish ``host_started``.
Stop (graceful): unsubscribe every actor (stop taking work), stop the control server, finish in-flight calls and
close the actors, stop the providers, publish ``host_stopped``, cancel background tasks, drain NATS.
Background tasks live in the host's :class:`host.tasks.TaskScope` (an :class:`asyncio.TaskGroup`) and never raise
into it. The host is composed of parts that own their state (:mod:`host.parts`), built in order by
:mod:`host.assembly`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from types import TracebackType
from typing import Self

from host import events
from host.assembly import PROVIDERS_DIR, Blueprint, HostStartError, RunningHost, assemble, provider_nats
from host.commands import HostCommands
from host.config import HostConfig
from host.errors import HostError
from host.identity import Identity, Labels
from host.parts import HostParts
from host.runtime import RuntimeConfig
from lattice import __version__

WASM_CACHE_DIR = "wasm-cache"

log = logging.getLogger(__name__)

__all__ = ["PROVIDERS_DIR", "Host", "HostStartError", "provider_nats", "run_host"]


class Host:
    """One lattice host; see the module docstring."""

    def __init__(self, config: HostConfig, *, runtime_config: RuntimeConfig | None = None) -> None:
        self.config = config
        self.identity = Identity.from_config(config)
        self.labels = Labels.from_config(config)
        self._runtime_config = runtime_config or RuntimeConfig(
            cache_dir=config.state_dir / WASM_CACHE_DIR, inline_call_us=config.inline_call_us
        )
        self._stack = contextlib.AsyncExitStack()
        self._stop_requested = asyncio.Event()
        self._running: RunningHost | None = None
        self._stopped = False

    @property
    def host_id(self) -> str:
        return self.identity.host_id

    @property
    def friendly_name(self) -> str:
        return self.identity.friendly_name

    @property
    def parts(self) -> HostParts:
        """The parts of the running host (:class:`HostError` before start)."""
        return self._started().parts

    @property
    def commands(self) -> HostCommands:
        """The running host's control commands (the :class:`host.control.target.ControlTarget` its server uses)."""
        return self._started().commands

    def _started(self) -> RunningHost:
        if self._running is None:
            raise HostError("the host is not running")
        return self._running

    # --- lifecycle ------------------------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        blueprint = Blueprint(self.config, self.identity, self.labels, self._runtime_config, self.request_stop)
        try:
            self._running = await assemble(blueprint, self._stack)
            parts = self._running.parts
            started = events.host_started(self.host_id, self.labels, self.friendly_name, __version__)
            await parts.publisher.publish(started)
            parts.tasks.spawn(parts.heartbeat.run(self.config.heartbeat_interval_s), "heartbeats")
        except BaseException:
            self._running = None
            await self._stack.aclose()
            raise
        log.info("host %s (%s) joined lattice %s", self.friendly_name, self.host_id, self.config.lattice)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            await self._shutdown()
        finally:
            await self._stack.aclose()

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
        """Stop taking work, finish what is in flight, stop actors and providers, say goodbye, stop background work."""
        running = self._running
        if self._stopped or running is None:
            return
        self._stopped = True
        parts = running.parts
        log.info("host %s stopping", self.host_id)
        try:
            if running.apps is not None:
                await running.apps.stop()
            await parts.actors.stop_taking_work()
            await running.control.stop()
            await parts.actors.stop_all()
            await parts.providers.stop_all()
            await parts.publisher.publish(events.host_stopped(self.host_id, self.labels))
            if parts.policy is not None:
                await parts.policy.stop()
        finally:
            await parts.tasks.cancel_all()


async def run_host(config: HostConfig) -> None:
    """Run one host until SIGINT/SIGTERM or a ctl ``stop`` command, then stop gracefully."""
    async with Host(config) as host:
        await host.serve_forever()
