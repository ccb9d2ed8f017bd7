"""The threads that run one pool's calls handed off the event loop, and the mailbox their answers go back through.

Jobs wait in a ``SimpleQueue``; a thread takes one, waits for a gate slot and runs it, so a thread goes from one call
to the next without a round trip through the event loop. There are as many threads as unfinished jobs, up to the
gate's capacity: a job never waits for a thread while a slot is free. Answers go back through a :class:`Mailbox`:
one ``call_soon_threadsafe`` for all answers that arrive before the loop drains them.
"""

from __future__ import annotations

import asyncio
import collections
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

from host.runtime.errors import PoolClosed


@dataclass(frozen=True, slots=True)
class Job:
    """One guest call for a worker thread."""

    mailbox: Mailbox
    future: asyncio.Future[bytes]
    operation: str
    payload: bytes


class Workers:
    """The worker threads of one pool (see the module docstring)."""

    def __init__(self, name: str, run: Callable[[Job], None]) -> None:
        self._name = name
        self._run = run
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._unfinished = 0
        self._stopped = False
        self._lock = threading.Lock()

    def submit(self, job: Job, capacity: int) -> None:
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
                job.mailbox.post(job.future, None, error)
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


class Mailbox:
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
