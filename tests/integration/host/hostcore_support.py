"""Helpers of the host integration tests: an event log, a caller that signs invocations, module files."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from typing import Any

from lattice import keys, subjects
from lattice.natsconn import flush_all
from lattice.rpc import RpcClient, RpcSettings
from lattice.wire import InvocationResponse, WasmCloudEntity

EVENT_TIMEOUT_S = 10.0
TEST_DEADLINE_MS = 1500
TEST_MEMORY_BYTES = 32 * 1024 * 1024
CALLER_MODULE = keys.KeyPair.create(keys.KeyType.MODULE).public_key


class EventLog:
    """Every event of a lattice (``wasmbus.evt.{lattice}``), kept in order; subscribe before commanding."""

    def __init__(self, nc: Any, lattice: str, subject: str | None = None) -> None:
        self._nc = nc
        self._subject = subject or subjects.events(lattice)
        self.events: list[dict[str, Any]] = []
        self._changed = asyncio.Condition()
        self._sub: Any = None

    async def __aenter__(self) -> EventLog:
        self._sub = await self._nc.subscribe(self._subject, cb=self._on_event)
        await flush_all(self._nc)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._sub.unsubscribe()

    async def _on_event(self, msg: Any) -> None:
        async with self._changed:
            self.events.append(json.loads(msg.data))
            self._changed.notify_all()

    def named(self, name: str, **data: Any) -> list[dict[str, Any]]:
        kind = subjects.event_type(name)
        return [e for e in self.events if e["type"] == kind and _matches(e["data"], data)]

    async def wait_until(
        self, check: Callable[[list[dict[str, Any]]], bool], timeout_s: float = EVENT_TIMEOUT_S
    ) -> None:
        """Wait until ``check`` accepts the events seen so far; fails after the timeout."""
        async with asyncio.timeout(timeout_s), self._changed:
            await self._changed.wait_for(lambda: check(self.events))

    async def wait_for(
        self, name: str, times: int = 1, timeout_s: float = EVENT_TIMEOUT_S, **data: Any
    ) -> list[dict[str, Any]]:
        """The first ``times`` events called ``name`` whose data include ``data``; fails after the timeout."""
        async with asyncio.timeout(timeout_s), self._changed:
            await self._changed.wait_for(lambda: len(self.named(name, **data)) >= times)
        return self.named(name, **data)[:times]


def _matches(data: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    return all(data.get(k) == v for k, v in wanted.items())


def caller(nc: Any, lattice: str, cluster: keys.KeyPair, timeout_ms: int = 5000) -> RpcClient:
    """A signed-invocation client standing for another lattice member."""
    host_id = keys.KeyPair.create(keys.KeyType.SERVER).public_key
    return RpcClient(nc, RpcSettings(lattice, host_id, cluster, timeout_ms))


async def invoke(
    rpc: RpcClient, actor_id: str, operation: str, payload: bytes, origin: WasmCloudEntity | None = None
) -> InvocationResponse:
    source = origin or WasmCloudEntity.actor(CALLER_MODULE)
    return await rpc.invoke(source, WasmCloudEntity.actor(actor_id), operation, payload)
