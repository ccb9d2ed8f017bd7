"""Live lattice events for the page, and invocation rates from the hosts' rpc events.

One subscription to ``wasmbus.evt.{lattice}`` feeds every open page through bounded queues (a page that does not
keep up loses events, never the dashboard's memory); the last :data:`BACKLOG` events greet a new page. Invocation
events on ``wasmbus.rpcevt.{lattice}`` — a host's ``invocation_counts`` summaries (the default) or OTP's event per
invocation — are counted per target and operation over a sliding minute.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import time
from typing import Any

from lattice import subjects
from lattice.control import LatticeEvent, PayloadError

BACKLOG = 100
QUEUE_DEPTH = 256
RATE_WINDOW_S = 60.0
MAX_RATE_KEYS = 500
MAX_FIELD_CHARS = 200
MAX_SUMMARY_ROWS = 1000
"""Rows of one ``invocation_counts`` event that are counted (a host sends at most 500)."""

log = logging.getLogger(__name__)


class EventFeed:
    def __init__(self, nc: Any, lattice: str) -> None:
        self._nc = nc
        self.lattice = lattice
        self.backlog: collections.deque[dict[str, Any]] = collections.deque(maxlen=BACKLOG)
        self._queues: set[asyncio.Queue[dict[str, Any]]] = set()
        self._calls: dict[tuple[str, str], collections.deque[list[int]]] = {}  # [second, ok, failed] per second
        self._subs: list[Any] = []

    async def start(self) -> None:
        self._subs = [
            await self._nc.subscribe(subjects.events(self.lattice), cb=self._on_event),
            await self._nc.subscribe(subjects.rpc_events(self.lattice), cb=self._on_rpc),
        ]
        await self._nc.flush()

    async def stop(self) -> None:
        subs, self._subs = self._subs, []
        for sub in subs:
            if not self._nc.is_closed:
                await sub.unsubscribe()

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_DEPTH)
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._queues.discard(queue)

    async def _on_event(self, msg: Any) -> None:
        try:
            event = LatticeEvent.decode(msg.data).to_json()
        except PayloadError as exc:
            log.debug("skipping a malformed event: %s", exc)
            return
        self.backlog.append(event)
        for queue in self._queues:
            if queue.full():
                queue.get_nowait()  # this page is behind: it loses its oldest event
            queue.put_nowait(event)

    async def _on_rpc(self, msg: Any) -> None:
        """OTP's ``invocation_succeeded``/``invocation_failed``, or a host's ``invocation_counts`` summary."""
        try:
            event = json.loads(msg.data)
            kind, data = str(event["type"]), event["data"]
            if kind.endswith("invocation_counts"):
                rows = [(r, int(r["succeeded"]), int(r["failed"])) for r in data["counts"][:MAX_SUMMARY_ROWS]]
            else:
                ok = kind.endswith("invocation_succeeded")
                rows = [(data, int(ok), int(not ok))]
            keyed = [(_rate_key(row), ok_n, failed_n) for row, ok_n, failed_n in rows]
        except (ValueError, TypeError, KeyError, AttributeError):
            return
        for key, ok_n, failed_n in keyed:
            self._count(key, ok_n, failed_n)

    def _count(self, key: tuple[str, str], ok: int, failed: int) -> None:
        calls = self._calls.get(key)
        if calls is None:
            if len(self._calls) >= MAX_RATE_KEYS:
                self._calls.pop(next(iter(self._calls)))
            calls = self._calls[key] = collections.deque(maxlen=int(RATE_WINDOW_S) + 1)
        second = int(time.monotonic())
        if not calls or calls[-1][0] != second:
            calls.append([second, 0, 0])
        calls[-1][1] += max(ok, 0)
        calls[-1][2] += max(failed, 0)

    def rates(self) -> list[dict[str, Any]]:
        """Calls per minute over the last minute, by target and operation (busiest first)."""
        cutoff = time.monotonic() - RATE_WINDOW_S
        out = []
        for (target, operation), calls in list(self._calls.items()):
            while calls and calls[0][0] < cutoff:
                calls.popleft()
            if not calls:
                del self._calls[(target, operation)]
                continue
            ok, failed = sum(c[1] for c in calls), sum(c[2] for c in calls)
            out.append({"target": target, "operation": operation, "per_minute": ok + failed, "failed": failed})
        return sorted(out, key=lambda r: (-r["per_minute"], r["target"], r["operation"]))


def _rate_key(row: Any) -> tuple[str, str]:
    return str(row["dest"]["public_key"])[:MAX_FIELD_CHARS], str(row["operation"])[:MAX_FIELD_CHARS]
