"""The instances of one actor: bounded concurrency, trap replacement, scaling and live update.

An :class:`ActorPool` holds up to ``max_instances`` instances of one :class:`CompiledModule`. A call
takes a slot of the pool's :class:`~host.runtime.gate.Gate` (waiting, first come first served, when
all are busy), checks out an idle instance or makes a new one, runs, and checks it back in. Instances
are made lazily, except the first, which the constructor makes so that a module whose init fails is
refused at once (:class:`InstantiationFailed`). A broken instance (trap, deadline, ABI fault) and an
instance of a replaced module are dropped at check-in instead of being reused.

Async calls are queued to the pool's own worker threads (:class:`_Workers`), which take the gate slot themselves;
answers go back through a :class:`_Mailbox`: one ``call_soon_threadsafe`` for all answers that arrive before the
loop drains them. Compared with taking the slot on the loop and handing each call to the runtime's executor, this
saves a loop round trip per call when calls queue up, and a third of the CPU per call when they do not.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
import queue
import threading
from collections.abc import Callable
from typing import Required, TypedDict, Unpack

from host.runtime.abi import HostCallHandler, Log
from host.runtime.engine import Runtime
from host.runtime.errors import ModuleInvalid, PoolClosed
from host.runtime.gate import Gate
from host.runtime.instance import Instance
from host.runtime.limits import Limits
from host.runtime.module import CompiledModule

GUEST_LOGGER = "host.runtime.guest"
DEFAULT_POOL_NAME = "actor"

_Job = tuple["_Mailbox", "asyncio.Future[bytes]", str, bytes]


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
        self._workers = _Workers(self.name, self._run_job)
        self._mailbox: _Mailbox | None = None
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

    async def invoke(self, operation: str, payload: bytes) -> bytes:
        """Run one guest call on a worker thread, waiting for a free instance first.

        Returns the guest's response; raises GuestError, GuestTrapped, DeadlineExceeded,
        InstantiationFailed (a replacement instance could not be made) or PoolClosed.
        Cancelling the await before the call starts withdraws it; a started call runs to its end.
        """
        self._check_open()
        self._runtime.check_open()
        loop = asyncio.get_running_loop()
        if self._mailbox is None or self._mailbox.loop is not loop:
            self._mailbox = _Mailbox(loop)  # a pool normally serves one loop; calls in flight keep their own
        future: asyncio.Future[bytes] = loop.create_future()
        self._workers.submit((self._mailbox, future, operation, payload), self._gate.capacity)
        return await future

    def _run_job(self, job: _Job) -> None:
        """A worker thread's part of :meth:`invoke`: take a slot, run, post the outcome to the caller's loop."""
        mailbox, future, operation, payload = job
        if future.cancelled():  # withdrawn while queued
            return
        try:
            self._gate.acquire_sync()  # raises the close error once the pool is closed
            if future.cancelled() or self._runtime.closed:  # withdrawn while it waited for the slot, or too late
                self._gate.release()
                if future.cancelled():
                    return
                raise PoolClosed("the wasm runtime is closed")
            result = self._run_in_slot(operation, payload)
        except BaseException as exc:  # the caller's exception, raised where it awaits
            mailbox.post(future, None, exc)
        else:
            mailbox.post(future, result, None)

    def invoke_sync(self, operation: str, payload: bytes) -> bytes:
        """Like :meth:`invoke`, but runs on (and blocks) the calling thread. Not for the event loop."""
        self._check_open()
        self._runtime.check_open()
        self._gate.acquire_sync()
        return self._run_in_slot(operation, payload)

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


class _Workers:
    """The threads that run one pool's async calls (see the module docstring).

    Jobs wait in a ``SimpleQueue``; a thread takes one, waits for a gate slot and runs it, so a thread goes from one
    call to the next without a round trip through the event loop. There are as many threads as unfinished jobs, up
    to the gate's capacity: a job never waits for a thread while a slot is free.
    """

    def __init__(self, name: str, run: Callable[[_Job], None]) -> None:
        self._name = name
        self._run = run
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._unfinished = 0
        self._stopped = False
        self._lock = threading.Lock()

    def submit(self, job: _Job, capacity: int) -> None:
        with self._lock:
            if self._stopped:
                raise PoolClosed(f"actor pool {self._name!r} is closed")
            while len(self._threads) < min(self._unfinished + 1, capacity):
                self._start()
            self._unfinished += 1
        self._jobs.put(job)

    def grow(self, capacity: int) -> None:
        """Start threads for queued jobs that a larger capacity lets run now."""
        with self._lock:
            while len(self._threads) < min(self._unfinished, capacity):
                self._start()

    def _start(self) -> None:
        name = f"wasm-worker-{self._name[:12]}-{len(self._threads)}"
        thread = threading.Thread(target=self._serve, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def fail_queued(self, error: BaseException) -> None:
        """Answer every job not yet taken by a thread with ``error``."""
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            if job is not None:
                mailbox, future, _, _ = job
                mailbox.post(future, None, error)
                self._finished()

    def stop(self) -> None:
        """Refuse new jobs and let every thread end (they are idle once the pool is closed)."""
        with self._lock:
            self._stopped = True
            threads, self._threads = self._threads, []
        for _ in threads:
            self._jobs.put(None)

    def _serve(self) -> None:
        jobs, run = self._jobs, self._run
        while (job := jobs.get()) is not None:
            try:
                run(job)
            finally:
                self._finished()

    def _finished(self) -> None:
        with self._lock:
            self._unfinished -= 1


class _Mailbox:
    """Answers for one event loop: workers append, one scheduled drain settles all that arrived (one wake-up)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._answers: collections.deque[tuple[asyncio.Future[bytes], bytes | None, BaseException | None]]
        self._answers = collections.deque()
        self._scheduled = False

    def post(self, future: asyncio.Future[bytes], result: bytes | None, error: BaseException | None) -> None:
        self._answers.append((future, result, error))
        if not self._scheduled:
            self._scheduled = True
            try:
                self.loop.call_soon_threadsafe(self._drain)
            except RuntimeError:  # the loop is closed: nobody waits for these answers
                self._answers.clear()

    def _drain(self) -> None:
        self._scheduled = False  # before popping: an answer posted from now on schedules its own drain
        answers = self._answers
        while answers:
            future, result, error = answers.popleft()
            if future.done():  # cancelled while it ran
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result or b"")


def _close_all(instances: list[Instance]) -> None:
    for instance in instances:
        instance.close()


def _check_owner(runtime: Runtime, module: CompiledModule) -> None:
    if module.owner is not runtime:
        raise ModuleInvalid("the module was compiled by another Runtime; compile it with this one")
