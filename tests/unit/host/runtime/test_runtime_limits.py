"""Per-actor limits: call deadlines, memory caps, and trap replacement."""

from __future__ import annotations

import asyncio
import struct
import time

import pytest

from host.runtime import (
    ActorPool,
    DeadlineExceeded,
    GuestTrapped,
    InstantiationFailed,
    Limits,
    Runtime,
)
from host.runtime.limits import WASM_PAGE_BYTES
from tests.unit.host.runtime import runtime_guests as guests
from tests.unit.host.runtime.runtime_handlers import Recorder

DEADLINE_MS = 150


def kitchen_pool(runtime: Runtime, limits: Limits) -> ActorPool:
    module = runtime.compile(guests.kitchen(), "h")
    return ActorPool(runtime, module, limits, host_calls=Recorder(), log=print)


def test_limits_validate() -> None:
    with pytest.raises(ValueError, match="memory_bytes"):
        Limits(memory_bytes=1000)
    with pytest.raises(ValueError, match="deadline_ms"):
        Limits(deadline_ms=0)
    with pytest.raises(ValueError, match="max_instances"):
        Limits(max_instances=0)


def test_deadline_ticks_cover_the_deadline() -> None:
    assert Limits(deadline_ms=100).deadline_ticks(10) == 11
    assert Limits(deadline_ms=101).deadline_ticks(10) == 12
    assert Limits(deadline_ms=1).deadline_ticks(10) == 2


def test_runaway_guest_stops_at_its_deadline(runtime: Runtime) -> None:
    pool = kitchen_pool(runtime, Limits(deadline_ms=DEADLINE_MS))
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded, match=f"deadline of {DEADLINE_MS} ms") as caught:
        pool.invoke_sync("loop", b"")
    elapsed_ms = (time.monotonic() - started) * 1000
    tick_ms = runtime.config.epoch_tick_ms
    assert DEADLINE_MS - tick_ms <= elapsed_ms < DEADLINE_MS + 10 * tick_ms + 250  # slack for a busy machine
    assert isinstance(caught.value, GuestTrapped)
    assert isinstance(caught.value, asyncio.TimeoutError)
    assert pool.invoke_sync("echo", b"still serving") == b"still serving"
    assert pool.size == 1


async def test_deadline_does_not_block_other_calls(runtime: Runtime) -> None:
    module = runtime.compile(guests.kitchen(), "h")
    pool = await ActorPool.start(
        runtime, module, Limits(deadline_ms=DEADLINE_MS, max_instances=2), host_calls=Recorder(), log=print
    )
    runaway = asyncio.ensure_future(pool.invoke("loop", b""))
    assert await asyncio.wait_for(pool.invoke("echo", b"meanwhile"), 5) == b"meanwhile"
    assert not runaway.done()
    with pytest.raises(DeadlineExceeded):
        await asyncio.wait_for(runaway, 5)
    await pool.close()


def test_memory_growth_is_capped(runtime: Runtime) -> None:
    cap = 40 * WASM_PAGE_BYTES
    pool = kitchen_pool(runtime, Limits(memory_bytes=cap))
    (pages,) = struct.unpack("<I", pool.invoke_sync("grow until refused", b""))
    assert 2 < pages <= cap // WASM_PAGE_BYTES
    assert pages * WASM_PAGE_BYTES > cap - 16 * WASM_PAGE_BYTES  # it grew until the next step would not fit


def test_memory_bomb_that_traps_is_replaced(runtime: Runtime) -> None:
    pool = kitchen_pool(runtime, Limits(memory_bytes=8 * 1024 * 1024))
    with pytest.raises(GuestTrapped, match="unreachable"):
        pool.invoke_sync("Grow then trap", b"")
    assert pool.invoke_sync("echo", b"fine") == b"fine"


def test_initial_memory_above_the_cap_is_refused(runtime: Runtime) -> None:
    module = runtime.compile(guests.kitchen(), "h")  # 2 pages initially
    with pytest.raises(InstantiationFailed, match="instantiating the module failed"):
        ActorPool(runtime, module, Limits(memory_bytes=WASM_PAGE_BYTES), host_calls=Recorder(), log=print)


def test_trapped_instance_is_replaced_by_a_fresh_one(runtime: Runtime) -> None:
    pool = kitchen_pool(runtime, Limits())
    counts = [struct.unpack("<I", pool.invoke_sync("k", b""))[0] for _ in range(3)]
    assert counts == [1, 2, 3]
    with pytest.raises(GuestTrapped, match=r"^guest trapped: wasm trap: wasm `unreachable` instruction executed$"):
        pool.invoke_sync("trap", b"")
    assert struct.unpack("<I", pool.invoke_sync("k", b""))[0] == 1  # a new instance: its counter restarted
    assert pool.size == 1
