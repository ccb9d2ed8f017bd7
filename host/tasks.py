"""The background tasks of one part of the host, in an :class:`asyncio.TaskGroup` that part owns.

::

    async with TaskScope("providers") as tasks:
        tasks.spawn(watch(provider), "health checks of P…")
    # leaving the block cancels what still runs, then waits for it

A task never raises into the group: an exception is logged with its traceback under the name it was given (a
sibling task keeps running, as a host must). Spawning outside the ``async with`` block is refused.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, Self

from host.errors import HostError

log = logging.getLogger(__name__)


class TaskScope:
    """See the module docstring. ``name`` tells whose tasks these are in log lines."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._group: asyncio.TaskGroup | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> Self:
        group = asyncio.TaskGroup()
        await group.__aenter__()
        self._group = group
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        group, self._group = self._group, None
        for task in list(self._tasks):
            task.cancel()
        if group is not None:
            await group.__aexit__(exc_type, exc, tb)

    async def cancel_all(self) -> None:
        """Cancel every task still running and wait until they are gone (the scope stays open)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def open(self) -> bool:
        return self._group is not None

    def __len__(self) -> int:
        """How many tasks still run."""
        return len(self._tasks)

    def spawn(self, coro: Coroutine[Any, Any, None], what: str) -> asyncio.Task[None]:
        """Run ``coro`` in the group; ``what`` names it in the log line should it fail."""
        if self._group is None:
            coro.close()
            raise HostError(f"{self.name} is not running: cannot start {what}")
        task = self._group.create_task(self._guarded(coro, what))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _guarded(self, coro: Coroutine[Any, Any, None], what: str) -> None:
        try:
            await coro
        except Exception:
            log.exception("%s: %s failed", self.name, what)
