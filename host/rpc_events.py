"""Invocation events on ``wasmbus.rpcevt.{lattice}``: one per invocation, a summary per interval, or none (ADR 0018).

OTP publishes ``invocation_succeeded``/``invocation_failed`` for every invocation (the Rust host publishes none).
Building and sending one costs a host about as much as running a short actor call, so the default here is
``summary``: each invocation adds to a count per source, destination and operation, and every interval (1 s by
default) one ``invocation_counts`` event carries the counts of the calls that ended in it (and at once when
:data:`MAX_ROWS` rows have piled up, and on stop). ``each`` publishes OTP's events; ``off`` none.
``lattice events --rpc`` shows all three kinds.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from typing import Any

from host import events
from lattice.wire import WasmCloudEntity

DEFAULT_INTERVAL_S = 1.0
MAX_ROWS = 500
"""Most rows of one ``invocation_counts`` event; more distinct rows in one interval send one early."""

log = logging.getLogger(__name__)

_Key = tuple[WasmCloudEntity, WasmCloudEntity, str]


class RpcEventMode(enum.StrEnum):
    SUMMARY = "summary"
    EACH = "each"
    OFF = "off"

    @classmethod
    def parse(cls, text: str) -> RpcEventMode:
        try:
            return cls(text.strip().lower())
        except ValueError:
            choices = ", ".join(m.value for m in cls)
            raise ValueError(f"{text.strip()!r} is not a mode of rpc events: use one of {choices}") from None


class RpcEvents:
    """The invocation events of one host (see the module docstring). ``result`` never raises."""

    def __init__(
        self,
        nc: Any,
        lattice: str,
        host_id: str,
        mode: RpcEventMode = RpcEventMode.SUMMARY,
        interval_s: float = DEFAULT_INTERVAL_S,
    ) -> None:
        self._nc = nc
        self._lattice = lattice
        self._host_id = host_id
        self.mode = mode
        self.interval_s = interval_s
        self._counts: dict[_Key, list[int]] = {}

    async def result(
        self, ok: bool, origin: WasmCloudEntity, target: WasmCloudEntity, operation: str, size: int
    ) -> None:
        """One invocation ended (``ok``: it succeeded)."""
        if self.mode is RpcEventMode.SUMMARY:
            key = (origin, target, operation)
            row = self._counts.get(key)
            if row is None:
                row = self._counts[key] = [0, 0, 0]
            row[0 if ok else 1] += 1
            row[2] += size
            if len(self._counts) >= MAX_ROWS:
                await self.flush()
        elif self.mode is RpcEventMode.EACH:
            event = events.invocation_result(
                self._host_id, succeeded=ok, source=origin, dest=target, operation=operation, size=size
            )
            await events.publish_rpc(self._nc, self._lattice, event)

    async def flush(self) -> None:
        """Send the counts gathered so far (nothing when there are none)."""
        counts, self._counts = self._counts, {}
        if not counts:
            return
        rows = [
            events.invocation_count(s, d, op, ok, failed, size) for (s, d, op), (ok, failed, size) in counts.items()
        ]
        event = events.invocation_counts(self._host_id, round(self.interval_s * 1000), rows)
        await events.publish_rpc(self._nc, self._lattice, event)

    async def run(self) -> None:
        """Send the summary every interval until cancelled, then once more."""
        if self.mode is not RpcEventMode.SUMMARY:
            return
        try:
            while True:
                await asyncio.sleep(self.interval_s)
                await self.flush()
        finally:
            await self.flush()
