"""The instances of one actor: bounded concurrency, trap replacement, scaling and live update.

An :class:`ActorPool` holds up to ``max_instances`` instances of one :class:`CompiledModule`. A call
takes a slot of the pool's :class:`~host.runtime.gate.Gate` (waiting, first come first served, when
all are busy), checks out an idle instance or makes a new one, runs, and checks it back in. Instances
are made lazily, except the first, which the constructor makes so that a module whose init fails is
refused at once (:class:`InstantiationFailed`). A broken instance (trap, deadline, ABI fault) and an
instance of a replaced module are dropped at check-in instead of being reused.

``await invoke`` runs a short call inline on the event loop when the pool's :class:`~host.runtime.inline.InlinePolicy`
allows it, a slot is free at once and an idle instance is ready: no thread hand-off at all. The inline call runs
under an epoch budget and may make only host calls that cannot block; otherwise it is abandoned and runs again on a
worker thread (:mod:`host.runtime.inline`, ADR 0017). Every other async call is queued to the
pool's own worker threads (:mod:`host.runtime.workers`), which take the gate slot themselves; answers go back
through a mailbox: one ``call_soon_threadsafe`` for all answers that arrive before the loop drains them.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from typing import Required, TypedDict, Unpack

from host.runtime.abi import HostCallHandler, Log, MovedOffLoop
from host.runtime.engine import Runtime
from host.runtime.errors import DeadlineExceeded, ModuleInvalid, PoolClosed
from host.runtime.gate import Gate
from host.runtime.inline import InlinePolicy
from host.runtime.instance import Instance
from host.runtime.limits import Limits
from host.runtime.module import CompiledModule
from host.runtime.workers import Job, Mailbox, Workers

GUEST_LOGGER = "host.runtime.guest"
DEFAULT_POOL_NAME = "actor"


def default_log(name: str) -> Log:
    """A log sink writing guest lines to the ``host.runtime.guest`` logger, tagged with ``name``."""
    logger = logging.getLogger(GUEST_LOGGER)

    def log(line: str) -> None:
        logger.info("[%s] %s", name, line)

    return log


class PoolOptions(TypedDict, total=False):
    """How a pool talks to its host: ``host_calls`` serves the guests' ``__host_call``; ``log`` takes their
    ``__console_log`` lines (default: the ``host.runtime.guest`` logger); ``name`` tags logs, threads and errors."""

    host_calls: Required[HostCallHandler]
    log: Log | None
    name: str


class ActorPool:
    """Instances of one module for one actor (see the module docstring).

    The constructor instantiates the first instance on the calling thread; from async code use
    ``await ActorPool.start(...)``, which does that on a worker thread.
    """

    def __init__(
        self, runtime: Runtime, module: CompiledModule, limits: Limits | None = None, **options: Unpack[PoolOptions]
    ) -> None:
        runtime.check_open()
        _check_owner(runtime, module)
        self.name = options.get("name", DEFAULT_POOL_NAME)
        self.limits = limits or Limits()
        self._runtime = runtime
        self._host_calls = options["host_calls"]
        self._log = options.get("log") or default_log(self.name)
        self._lock = threading.Lock()
        self._gate = Gate(self.limits.max_instances)
        self._module = module
        self._idle: list[Instance] = []
        self._live = 0
        self._closed = False
        self._workers = Workers(self.name, self._run_job)
        self._mailbox: Mailbox | None = None
        self._inline = InlinePolicy(runtime.config.inline_call_us)
        self._idle.append(self._instantiate(module))

    @classmethod
    async def start(
        cls, runtime: Runtime, module: CompiledModule, limits: Limits | None = None, **options: Unpack[PoolOptions]
    ) -> ActorPool:
        """Construct the pool on a worker thread (the first instantiation runs guest init code)."""
        return await runtime.run(functools.partial(cls, runtime, module, limits, **options))

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

    @property
    def runs_inline(self) -> bool:
        """True while short calls of this pool may run inline on the event loop (:mod:`host.runtime.inline`)."""
        return self._inline.allowed

    async def invoke(self, operation: str, payload: bytes) -> bytes:
        """Run one guest call, inline on the event loop or on a worker thread, waiting for a free instance first.

        Returns the guest's response; raises GuestError, GuestTrapped, DeadlineExceeded,
        InstantiationFailed (a replacement instance could not be made) or PoolClosed.
        Cancelling the await before the call starts withdraws it; a started call runs to its end.
        """
        self._check_open()
        self._runtime.check_open()
        instance = self._take_inline() if self._inline.allowed else None
        if instance is not None:
            try:
                return self._run_inline(instance, operation, payload)
            except MovedOffLoop:
                pass  # abandoned before it had any effect: it runs again from the start on a worker
        return await self._hand_off(operation, payload)

    def _take_inline(self) -> Instance | None:
        """A slot and an idle instance of the current module, both taken, or None (then a worker runs the call)."""
        if not self._gate.try_acquire():
            return None
        with self._lock:
            if self._idle and self._idle[-1].module is self._module:
                return self._idle.pop()
        self._gate.release()
        return None

    def _run_inline(self, instance: Instance, operation: str, payload: bytes) -> bytes:
        """Run on the loop thread, then give back the instance (dropped if broken or moved) and the slot."""
        started = time.perf_counter()
        try:
            result = instance.call(operation, payload, inline=True)
        except MovedOffLoop:
            self._inline.moved(instance.abi.blocking)
            raise
        except DeadlineExceeded:
            self._inline.moved(False)
            raise
        except BaseException:
            self._inline.after_inline(time.perf_counter() - started)
            raise
        else:
            self._inline.after_inline(time.perf_counter() - started)
            return result
        finally:
            self._checkin(instance)
            self._gate.release()

    async def _hand_off(self, operation: str, payload: bytes) -> bytes:
        loop = asyncio.get_running_loop()
        if self._mailbox is None or self._mailbox.loop is not loop:
            self._mailbox = Mailbox(loop)  # a pool normally serves one loop; calls in flight keep their own
        future: asyncio.Future[bytes] = loop.create_future()
        self._workers.submit(Job(self._mailbox, future, operation, payload), self._gate.capacity)
        return await future

    def _run_job(self, job: Job) -> None:
        """A worker thread's part of :meth:`invoke`: take a slot, run, post the outcome to the caller's loop."""
        future = job.future
        if future.cancelled():  # withdrawn while queued
            return
        try:
            self._gate.acquire_sync()  # raises the close error once the pool is closed
            if future.cancelled() or self._runtime.closed:  # withdrawn while it waited for the slot, or too late
                self._gate.release()
                if future.cancelled():
                    return
                raise PoolClosed("the wasm runtime is closed")
            result = self._run_in_slot(job.operation, job.payload)
        except BaseException as exc:  # the caller's exception, raised where it awaits
            job.mailbox.post(future, None, exc)
        else:
            job.mailbox.post(future, result, None)

    def invoke_sync(self, operation: str, payload: bytes) -> bytes:
        """Like :meth:`invoke`, but runs on (and blocks) the calling thread. Not for the event loop."""
        self._check_open()
        self._runtime.check_open()
        self._gate.acquire_sync()
        return self._run_in_slot(operation, payload)

    def _run_in_slot(self, operation: str, payload: bytes) -> bytes:
        try:
            instance = self._checkout()
            started = time.perf_counter()
            try:
                return instance.call(operation, payload)
            finally:
                self._inline.after_worker(time.perf_counter() - started, instance.abi.blocking)
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
        self._workers.grow(max_instances)
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
                self._inline = InlinePolicy(self._runtime.config.inline_call_us)  # new code: judged afresh
            _close_all(stale)
        finally:
            self._gate.release()

    def _check_open(self) -> None:
        if self._closed:
            raise PoolClosed(f"actor pool {self.name!r} is closed")

    def _begin_close(self) -> None:
        with self._lock:
            self._closed = True
        error = PoolClosed(f"actor pool {self.name!r} is closed")
        self._gate.close(error)
        self._workers.fail_queued(error)

    def _finish_close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
            self._live -= len(idle)
        _close_all(idle)
        self._workers.stop()

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
