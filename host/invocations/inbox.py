"""One actor's inbox: a queue subscription on ``wasmbus.rpc.{lattice}.{actor}`` served by a fixed set of workers.

nats-py runs one subscription's callbacks one after another, so the callback only enqueues (never waits). A fixed
number of worker tasks (the actor's in-flight limit) serve the queue; when the bounded queue is full the request is
answered at once with a "busy" error. Every request that has a reply subject gets exactly one reply.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from lattice.wire import InvocationResponse

DEFAULT_QUEUE_DEPTH = 1024
DEFAULT_DRAIN_TIMEOUT_S = 10.0

log = logging.getLogger(__name__)

Handler = Callable[[bytes], Awaitable[bytes]]
Spawn = Callable[[Coroutine[Any, Any, None], str], "asyncio.Task[None]"]
"""Starts a named background task (:meth:`host.tasks.TaskScope.spawn`)."""


@dataclass(frozen=True)
class InboxLimits:
    workers: int
    queue_depth: int = DEFAULT_QUEUE_DEPTH
    drain_timeout_s: float = DEFAULT_DRAIN_TIMEOUT_S


class ActorInbox:
    """See the module docstring. ``handler`` turns a request body into the reply body and must not raise."""

    def __init__(self, nc: Any, subject: str, handler: Handler, limits: InboxLimits, name: str) -> None:
        self._nc = nc
        self.subject = subject
        self._handler = handler
        self.limits = limits
        self.name = name
        self._queue: asyncio.Queue[Any] = asyncio.Queue(limits.queue_depth)
        self._workers: list[asyncio.Task[None]] = []
        self._sub: Any = None

    async def start(self, spawn: Spawn) -> None:
        """Start the workers, then subscribe (queue group = the subject, as OTP does)."""
        self._workers = [spawn(self._work(), f"inbox worker of {self.name}") for _ in range(self.limits.workers)]
        self._sub = await self._nc.subscribe(self.subject, queue=self.subject, cb=self._enqueue)

    @property
    def queued(self) -> int:
        return self._queue.qsize()

    async def _enqueue(self, msg: Any) -> None:
        try:
            self._queue.put_nowait(msg)
        except asyncio.QueueFull:
            await self._reply(msg, InvocationResponse.failure("", f"actor {self.name} is busy: try again").encode())

    async def _work(self) -> None:
        while True:
            msg = await self._queue.get()
            try:
                body = await self._serve(msg.data)
                await self._reply(msg, body)
            finally:
                self._queue.task_done()

    async def _serve(self, data: bytes) -> bytes:
        try:
            return await self._handler(data)
        except Exception:
            log.exception("inbox handler of %s failed", self.name)
            return InvocationResponse.failure("", "internal host error while handling the invocation").encode()

    async def _reply(self, msg: Any, body: bytes) -> None:
        if not msg.reply:
            return
        try:
            await self._nc.publish(msg.reply, body)
        except Exception as exc:
            log.warning("could not reply to an invocation of %s: %s", self.name, exc)

    async def stop_taking_work(self) -> None:
        """Unsubscribe; messages already delivered to the subscription are still queued and served."""
        sub, self._sub = self._sub, None
        if sub is None:
            return
        try:
            await sub.drain()
        except Exception as exc:
            log.debug("draining the subscription of %s failed: %s", self.name, exc)

    async def close(self) -> None:
        """Stop taking work, finish what is queued or running (bounded by the drain timeout), stop the workers."""
        await self.stop_taking_work()
        try:
            async with asyncio.timeout(self.limits.drain_timeout_s):
                await self._queue.join()
        except TimeoutError:
            log.warning(
                "%s: %d invocations unfinished after %.0fs", self.name, self.queued, self.limits.drain_timeout_s
            )
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []
