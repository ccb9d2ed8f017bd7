"""A counting gate shared by threads and event loops: at most ``capacity`` holders at a time.

Waiters are served first come, first served, whether they wait on a thread (:meth:`Gate.acquire_sync`)
or in a coroutine (:meth:`Gate.acquire`). A release hands the slot straight to the oldest waiter.
A cancelled coroutine never loses a slot: a slot granted to it is given back. Closing fails every
waiter and every later acquire with the given error; :meth:`Gate.wait_idle` waits until no slot is held.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque


class _Waiter:
    """One party waiting for a slot (or for the gate to go idle)."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self.loop = loop
        self.future: asyncio.Future[None] | None = loop.create_future() if loop else None
        self.event = threading.Event() if loop is None else None  # a thread waits on this, a coroutine on future
        self.error: BaseException | None = None
        self.granted = False

    def wake(self, gate: Gate) -> None:
        if self.loop is None:
            assert self.event is not None
            self.event.set()
            return
        try:
            self.loop.call_soon_threadsafe(self._resolve, gate)
        except RuntimeError:  # the loop is closed: nobody will take the slot
            if self.granted:
                gate.release()

    def _resolve(self, gate: Gate) -> None:
        assert self.future is not None
        if self.future.cancelled():  # the coroutine gave up before it got the slot: give it back
            if self.granted:
                gate.release()
        elif self.error is not None:
            self.future.set_exception(self.error)
        else:
            self.future.set_result(None)

    def wait_sync(self) -> None:
        assert self.event is not None
        self.event.wait()
        if self.error is not None:
            raise self.error


class Gate:
    """See the module docstring. All methods are thread-safe."""

    def __init__(self, capacity: int) -> None:
        self._lock = threading.Lock()
        self._capacity = capacity
        self._held = 0
        self._waiters: deque[_Waiter] = deque()
        self._idle_waiters: list[_Waiter] = []
        self._closed: BaseException | None = None

    @property
    def held(self) -> int:
        return self._held

    @property
    def capacity(self) -> int:
        return self._capacity

    def _enqueue(self, loop: asyncio.AbstractEventLoop | None) -> _Waiter | None:
        """Take a free slot (None) or queue a waiter; raise the close error if closed."""
        with self._lock:
            if self._closed is not None:
                raise self._closed
            if self._held < self._capacity and not self._waiters:
                self._held += 1
                return None
            waiter = _Waiter(loop)
            self._waiters.append(waiter)
            return waiter

    def try_acquire(self) -> bool:
        """Take a slot if one is free and nobody waits for one; raise the close error if closed."""
        with self._lock:
            if self._closed is not None:
                raise self._closed
            if self._held < self._capacity and not self._waiters:
                self._held += 1
                return True
            return False

    def acquire_sync(self) -> None:
        waiter = self._enqueue(None)
        if waiter is not None:
            waiter.wait_sync()

    async def acquire(self) -> None:
        waiter = self._enqueue(asyncio.get_running_loop())
        if waiter is None:
            return
        assert waiter.future is not None
        try:
            await waiter.future
        except asyncio.CancelledError:
            self._abandon(waiter)
            raise

    def _abandon(self, waiter: _Waiter) -> None:
        with self._lock:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
                return
        future = waiter.future
        if waiter.granted and future is not None and future.done() and not future.cancelled():
            self.release()  # granted and resolved, but the task was cancelled before it resumed
        # granted but the future was cancelled first: _Waiter._resolve gives the slot back

    def release(self) -> None:
        with self._lock:
            if self._waiters and self._held <= self._capacity:
                waiter = self._waiters.popleft()
                waiter.granted = True
                woken = [waiter]
            else:
                self._held -= 1
                woken = self._take_idle_waiters()
        for waiter in woken:
            waiter.wake(self)

    def resize(self, capacity: int) -> None:
        """Change the capacity; extra holders beyond a smaller capacity just don't get replaced."""
        woken: list[_Waiter] = []
        with self._lock:
            self._capacity = capacity
            while self._waiters and self._held < self._capacity:
                waiter = self._waiters.popleft()
                waiter.granted = True
                self._held += 1
                woken.append(waiter)
        for waiter in woken:
            waiter.wake(self)

    def close(self, error: BaseException) -> None:
        """Fail all waiters and later acquires with ``error``; holders keep their slots."""
        with self._lock:
            self._closed = error
            woken = list(self._waiters)
            self._waiters.clear()
        for waiter in woken:
            waiter.error = error
            waiter.wake(self)

    def _take_idle_waiters(self) -> list[_Waiter]:
        if self._held:
            return []
        woken, self._idle_waiters = self._idle_waiters, []
        return woken

    def _idle_waiter(self, loop: asyncio.AbstractEventLoop | None) -> _Waiter | None:
        with self._lock:
            if self._held == 0:
                return None
            waiter = _Waiter(loop)
            self._idle_waiters.append(waiter)
            return waiter

    async def wait_idle(self) -> None:
        waiter = self._idle_waiter(asyncio.get_running_loop())
        if waiter is not None and waiter.future is not None:
            await waiter.future

    def wait_idle_sync(self) -> None:
        waiter = self._idle_waiter(None)
        if waiter is not None:
            waiter.wait_sync()
