"""The Gate: a slot counter shared by threads and coroutines."""

from __future__ import annotations

import asyncio
import threading

import pytest

from host.runtime.errors import PoolClosed
from host.runtime.gate import Gate

WAIT_S = 10


async def test_capacity_and_fifo_hand_over() -> None:
    gate = Gate(1)
    await gate.acquire()
    order: list[int] = []

    async def take(i: int) -> None:
        await gate.acquire()
        order.append(i)
        gate.release()

    tasks = [asyncio.ensure_future(take(i)) for i in range(5)]
    await asyncio.sleep(0.01)
    assert order == []
    assert gate.held == 1
    gate.release()
    await asyncio.wait_for(asyncio.gather(*tasks), WAIT_S)
    assert order == [0, 1, 2, 3, 4]
    assert gate.held == 0


async def test_thread_waiter_gets_a_slot_released_by_a_coroutine() -> None:
    gate = Gate(1)
    await gate.acquire()
    got = threading.Event()

    def worker() -> None:
        gate.acquire_sync()
        got.set()

    thread = threading.Thread(target=worker)
    thread.start()
    await asyncio.sleep(0.02)
    assert not got.is_set()
    gate.release()
    thread.join(WAIT_S)
    assert got.is_set()
    assert gate.held == 1


async def test_cancelled_waiter_returns_a_granted_slot() -> None:
    gate = Gate(1)
    await gate.acquire()
    waiter = asyncio.ensure_future(gate.acquire())
    await asyncio.sleep(0)
    gate.release()  # grants the slot to the waiter ...
    waiter.cancel()  # ... which is cancelled before it resumes
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await asyncio.sleep(0)
    assert gate.held == 0
    await asyncio.wait_for(gate.acquire(), WAIT_S)


async def test_cancelled_queued_waiter_leaves_the_queue() -> None:
    gate = Gate(1)
    await gate.acquire()
    waiter = asyncio.ensure_future(gate.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    gate.release()
    assert gate.held == 0


async def test_resize_grants_waiting_and_shrinks_lazily() -> None:
    gate = Gate(1)
    await gate.acquire()
    waiters = [asyncio.ensure_future(gate.acquire()) for _ in range(2)]
    await asyncio.sleep(0)
    gate.resize(3)
    await asyncio.wait_for(asyncio.gather(*waiters), WAIT_S)
    assert gate.held == 3
    gate.resize(1)
    late = asyncio.ensure_future(gate.acquire())
    gate.release()
    gate.release()
    await asyncio.sleep(0)
    assert not late.done()
    assert gate.held == 1
    gate.release()
    await asyncio.wait_for(late, WAIT_S)
    assert gate.held == 1


async def test_close_fails_waiters_and_wait_idle_waits_for_holders() -> None:
    gate = Gate(1)
    await gate.acquire()
    waiter = asyncio.ensure_future(gate.acquire())
    await asyncio.sleep(0)
    gate.close(PoolClosed("closed"))
    with pytest.raises(PoolClosed):
        await asyncio.wait_for(waiter, WAIT_S)
    with pytest.raises(PoolClosed):
        gate.acquire_sync()
    idle = asyncio.ensure_future(gate.wait_idle())
    await asyncio.sleep(0.01)
    assert not idle.done()
    gate.release()
    await asyncio.wait_for(idle, WAIT_S)
    gate.wait_idle_sync()  # already idle: returns at once
