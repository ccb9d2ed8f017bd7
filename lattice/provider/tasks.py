"""A bounded set of background tasks, so a NATS subscription callback never waits for work to finish.

``try_spawn`` starts the coroutine when fewer than ``max_running + max_waiting`` tasks are alive; at most
``max_running`` of them run at once (the rest wait for a slot inside their task, not in the callback). When the set
is full it returns False and the caller answers "busy" (RPC) or drops the message (fire-and-forget delivery).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

DEFAULT_MAX_RUNNING = 256
DEFAULT_MAX_WAITING = 4096

log = logging.getLogger(__name__)


class BoundedTasks:
    def __init__(self, name: str, max_running: int = DEFAULT_MAX_RUNNING, max_waiting: int = DEFAULT_MAX_WAITING):
        if max_running < 1 or max_waiting < 0:
            raise ValueError("max_running must be >= 1 and max_waiting >= 0")
        self.name = name
        self.max_running = max_running
        self.capacity = max_running + max_waiting
        self._slots = asyncio.Semaphore(max_running)
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def try_spawn(self, work: Coroutine[Any, Any, None]) -> bool:
        """Start ``work`` in the background; False (and ``work`` closed) when the set is full."""
        if len(self._tasks) >= self.capacity:
            work.close()
            return False
        task = asyncio.get_running_loop().create_task(self._run(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _run(self, work: Coroutine[Any, Any, None]) -> None:
        async with self._slots:
            try:
                await work
            except asyncio.CancelledError:
                raise
            except Exception:  # the work replies itself; an escape here is a bug worth a traceback
                log.exception("task of %s failed", self.name)

    async def wait(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for running work; True when all finished."""
        if not self._tasks:
            return True
        _, pending = await asyncio.wait(set(self._tasks), timeout=timeout_s)
        return not pending

    async def cancel(self) -> None:
        tasks = set(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
