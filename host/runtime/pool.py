"""The instances of one actor: bounded concurrency, trap replacement, scaling and live update.

An :class:`ActorPool` holds up to ``max_instances`` instances of one :class:`CompiledModule`. A call
takes a slot of the pool's :class:`~host.runtime.gate.Gate` (waiting, first come first served, when
all are busy), checks out an idle instance or makes a new one, runs, and checks it back in. Instances
are made lazily, except the first, which the constructor makes so that a module whose init fails is
refused at once (:class:`InstantiationFailed`). A broken instance (trap, deadline, ABI fault) and an
instance of a replaced module are dropped at check-in instead of being reused.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import threading

from host.runtime.abi import HostCallHandler, Log
from host.runtime.engine import Runtime
from host.runtime.errors import ModuleInvalid, PoolClosed
from host.runtime.gate import Gate
from host.runtime.instance import Instance
from host.runtime.limits import Limits
from host.runtime.module import CompiledModule

GUEST_LOGGER = "host.runtime.guest"


def default_log(name: str) -> Log:
    """A log sink writing guest lines to the ``host.runtime.guest`` logger, tagged with ``name``."""
    logger = logging.getLogger(GUEST_LOGGER)

    def log(line: str) -> None:
        logger.info("[%s] %s", name, line)

    return log


class ActorPool:
    """Instances of one module for one actor (see the module docstring).

    The constructor instantiates the first instance on the calling thread; from async code use
    ``await ActorPool.start(...)``, which does that on a worker thread.
    """

    def __init__(
        self,
        runtime: Runtime,
        module: CompiledModule,
        limits: Limits | None = None,
        *,
        host_calls: HostCallHandler,
        log: Log | None = None,
        name: str = "actor",
    ) -> None:
        runtime.check_open()
        _check_owner(runtime, module)
        self.name = name
        self.limits = limits or Limits()
        self._runtime = runtime
        self._host_calls = host_calls
        self._log = log or default_log(name)
        self._lock = threading.Lock()
        self._gate = Gate(self.limits.max_instances)
        self._module = module
        self._idle: list[Instance] = []
        self._live = 0
        self._closed = False
        self._idle.append(self._instantiate(module))

    @classmethod
    async def start(
        cls,
        runtime: Runtime,
        module: CompiledModule,
        limits: Limits | None = None,
        *,
        host_calls: HostCallHandler,
        log: Log | None = None,
        name: str = "actor",
    ) -> ActorPool:
        """Construct the pool on a worker thread (the first instantiation runs guest init code)."""
        build = functools.partial(cls, runtime, module, limits, host_calls=host_calls, log=log, name=name)
        return await runtime.run(build)

    @property
    def module(self) -> CompiledModule:
        """The module new calls run in."""
        return self._module

    @property
    def in_flight(self) -> int:
        """Calls (and swaps) running now."""
        return self._gate.held

    @property
    def size(self) -> int:
        """Live instances, idle or busy."""
        return self._live

    @property
    def max_instances(self) -> int:
        return self._gate.capacity

    async def invoke(self, operation: str, payload: bytes) -> bytes:
        """Run one guest call on a worker thread, waiting for a free instance first.

        Returns the guest's response; raises GuestError, GuestTrapped, DeadlineExceeded,
        InstantiationFailed (a replacement instance could not be made) or PoolClosed.
        Cancelling the await before the call starts withdraws it; a started call runs to its end.
        """
        self._check_open()
        await self._gate.acquire()
        try:
            future = self._runtime.submit(functools.partial(self._run_in_slot, operation, payload))
        except BaseException:
            self._gate.release()
            raise
        future.add_done_callback(self._release_if_cancelled)
        return await asyncio.wrap_future(future)

    def invoke_sync(self, operation: str, payload: bytes) -> bytes:
        """Like :meth:`invoke`, but runs on (and blocks) the calling thread. Not for the event loop."""
        self._check_open()
        self._runtime.check_open()
        self._gate.acquire_sync()
        return self._run_in_slot(operation, payload)

    def _release_if_cancelled(self, future: concurrent.futures.Future[bytes]) -> None:
        if future.cancelled():
            self._gate.release()  # withdrawn before it ran, so _run_in_slot never will

    def _run_in_slot(self, operation: str, payload: bytes) -> bytes:
        try:
            instance = self._checkout()
            try:
                return instance.call(operation, payload)
            finally:
                self._checkin(instance)
        finally:
            self._gate.release()

    def _checkout(self) -> Instance:
        stale: list[Instance] = []
        with self._lock:
            module = self._module
            while self._idle:
                instance = self._idle.pop()
                if instance.module is module:
                    break
                stale.append(instance)
            else:
                instance = None
            self._live -= len(stale)
        _close_all(stale)
        return instance if instance is not None else self._instantiate(module)

    def _checkin(self, instance: Instance) -> None:
        with self._lock:
            keep = (
                not self._closed
                and not instance.broken
                and instance.module is self._module
                and self._live <= self._gate.capacity
            )
            if keep:
                self._idle.append(instance)
            else:
                self._live -= 1
        if not keep:
            instance.close()

    def _instantiate(self, module: CompiledModule) -> Instance:
        instance = Instance(self._runtime, module, self.limits, self._host_calls, self._log)
        with self._lock:
            self._live += 1
        return instance

    def scale(self, max_instances: int) -> None:
        """Allow ``max_instances`` concurrent calls. Idle instances beyond it are dropped now, busy
        ones when their call ends; new instances are made on demand."""
        if max_instances < 1:
            raise ValueError("max_instances must be at least 1")
        self._check_open()
        self._gate.resize(max_instances)
        with self._lock:
            excess = max(0, self._live - max_instances)
            dropped, self._idle = self._idle[:excess], self._idle[excess:]
            self._live -= len(dropped)
        _close_all(dropped)

    async def swap(self, new_module: CompiledModule) -> None:
        """Live update: new calls run in ``new_module``; calls in flight finish in the old instances,
        which are dropped afterwards. If ``new_module`` cannot be instantiated (InstantiationFailed),
        the pool keeps the old module. Takes one slot while it instantiates."""
        self._check_open()
        _check_owner(self._runtime, new_module)
        await self._gate.acquire()
        try:
            fresh = await self._runtime.run(functools.partial(self._instantiate, new_module))
            with self._lock:
                self._module = new_module
                stale, self._idle = self._idle, [fresh]
                self._live -= len(stale)
            _close_all(stale)
        finally:
            self._gate.release()

    def _check_open(self) -> None:
        if self._closed:
            raise PoolClosed(f"actor pool {self.name!r} is closed")

    def _begin_close(self) -> None:
        with self._lock:
            self._closed = True
        self._gate.close(PoolClosed(f"actor pool {self.name!r} is closed"))

    def _finish_close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
            self._live -= len(idle)
        _close_all(idle)

    async def close(self) -> None:
        """Refuse new calls (waiting ones get PoolClosed), wait for calls in flight, free all instances."""
        self._begin_close()
        await self._gate.wait_idle()
        self._finish_close()

    def close_sync(self) -> None:
        """:meth:`close` for threads (blocks)."""
        self._begin_close()
        self._gate.wait_idle_sync()
        self._finish_close()

    async def __aenter__(self) -> ActorPool:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def _close_all(instances: list[Instance]) -> None:
    for instance in instances:
        instance.close()


def _check_owner(runtime: Runtime, module: CompiledModule) -> None:
    if module.owner is not runtime:
        raise ModuleInvalid("the module was compiled by another Runtime; compile it with this one")
