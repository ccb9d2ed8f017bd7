"""ActorPool: bounded concurrency, live update (swap), scaling, closing, cancellation."""

from __future__ import annotations

import asyncio
import threading

import pytest

from host.runtime import ActorPool, InstantiationFailed, Limits, PoolClosed, Runtime
from tests.support.waiting import wait_until
from tests.unit.host.runtime import runtime_guests as guests
from tests.unit.host.runtime.runtime_handlers import WAIT_S, Blocker


async def kitchen_pool(runtime: Runtime, handler: Blocker, max_instances: int) -> ActorPool:
    module = runtime.compile(guests.kitchen(), "v1")
    return await ActorPool.start(runtime, module, Limits(max_instances=max_instances), host_calls=handler)


async def test_concurrency_is_bounded_by_max_instances(runtime: Runtime) -> None:
    blocker = Blocker()
    pool = await kitchen_pool(runtime, blocker, max_instances=3)
    calls = [asyncio.ensure_future(pool.invoke("host", bytes([i]))) for i in range(8)]
    await wait_until(lambda: blocker.inside == 3)
    await asyncio.sleep(0.05)  # give a fourth call every chance to sneak in
    assert (blocker.inside, pool.in_flight, pool.size) == (3, 3, 3)
    blocker.release.set()
    results = await asyncio.wait_for(asyncio.gather(*calls), WAIT_S)
    assert results == [b"v1:" + bytes([i]) for i in range(8)]
    assert blocker.peak == 3
    assert (pool.in_flight, pool.size) == (0, 3)
    await pool.close()


async def test_sync_and_async_callers_share_the_bound(runtime: Runtime) -> None:
    blocker = Blocker()
    pool = await kitchen_pool(runtime, blocker, max_instances=2)
    results: list[bytes] = []
    threads = [threading.Thread(target=lambda: results.append(pool.invoke_sync("host", b"t"))) for _ in range(3)]
    for thread in threads:
        thread.start()
    calls = [asyncio.ensure_future(pool.invoke("host", b"a")) for _ in range(3)]
    await wait_until(lambda: blocker.inside == 2)
    await asyncio.sleep(0.05)
    assert blocker.inside == 2
    blocker.release.set()
    assert await asyncio.wait_for(asyncio.gather(*calls), WAIT_S) == [b"v1:a"] * 3
    for thread in threads:
        thread.join(WAIT_S)
    assert results == [b"v1:t"] * 3
    assert blocker.peak == 2
    assert pool.in_flight == 0


async def test_swap_keeps_in_flight_calls_and_serves_the_new_module(runtime: Runtime) -> None:
    blocker = Blocker()
    pool = await kitchen_pool(runtime, blocker, max_instances=2)
    old_call = asyncio.ensure_future(pool.invoke("host", b"old"))
    await wait_until(lambda: blocker.inside == 1)
    v2 = runtime.compile(guests.constant("v2"), "v2")
    await pool.swap(v2)
    assert pool.module is v2
    assert await asyncio.wait_for(pool.invoke("host", b"new"), WAIT_S) == b"v2"
    assert not old_call.done()
    assert pool.size == 2  # the old instance is still busy
    blocker.release.set()
    assert await asyncio.wait_for(old_call, WAIT_S) == b"v1:old"
    assert pool.size == 1  # ... and was dropped when its call ended
    assert await pool.invoke("host", b"again") == b"v2"
    await pool.close()


async def test_swap_to_a_broken_module_keeps_the_old_one(runtime: Runtime) -> None:
    blocker = Blocker()
    blocker.release.set()
    pool = await kitchen_pool(runtime, blocker, max_instances=1)
    broken = runtime.compile(guests.wasm(guests.init_guest("(unreachable)")), "broken")
    with pytest.raises(InstantiationFailed, match="wapc_init"):
        await pool.swap(broken)
    assert pool.module.module_hash == "v1"
    assert await pool.invoke("host", b"x") == b"v1:x"
    assert (pool.size, pool.in_flight) == (1, 0)
    await pool.close()


async def test_scale_changes_the_bound(runtime: Runtime) -> None:
    blocker = Blocker()
    pool = await kitchen_pool(runtime, blocker, max_instances=1)
    calls = [asyncio.ensure_future(pool.invoke("host", b"s")) for _ in range(4)]
    await wait_until(lambda: blocker.inside == 1)
    pool.scale(3)
    await wait_until(lambda: blocker.inside == 3)
    assert pool.max_instances == 3
    blocker.release.set()
    await asyncio.wait_for(asyncio.gather(*calls), WAIT_S)
    assert pool.size == 3
    pool.scale(1)
    assert pool.size == 1  # idle instances beyond the new bound are dropped at once
    with pytest.raises(ValueError, match="at least 1"):
        pool.scale(0)
    await pool.close()


async def test_close_waits_for_in_flight_and_refuses_new_calls(runtime: Runtime) -> None:
    blocker = Blocker()
    pool = await kitchen_pool(runtime, blocker, max_instances=1)
    running = asyncio.ensure_future(pool.invoke("host", b"r"))
    await wait_until(lambda: blocker.inside == 1)
    waiting = asyncio.ensure_future(pool.invoke("host", b"w"))
    await asyncio.sleep(0.02)
    closing = asyncio.ensure_future(pool.close())
    with pytest.raises(PoolClosed):
        await asyncio.wait_for(waiting, WAIT_S)
    await asyncio.sleep(0.02)
    assert not closing.done()  # still waiting for the running call
    blocker.release.set()
    assert await asyncio.wait_for(running, WAIT_S) == b"v1:r"
    await asyncio.wait_for(closing, WAIT_S)
    assert pool.size == 0
    with pytest.raises(PoolClosed):
        await pool.invoke("host", b"late")
    with pytest.raises(PoolClosed):
        pool.invoke_sync("host", b"late")


async def test_cancelled_waiters_do_not_leak_slots(runtime: Runtime) -> None:
    blocker = Blocker()
    pool = await kitchen_pool(runtime, blocker, max_instances=1)
    running = asyncio.ensure_future(pool.invoke("host", b"r"))
    await wait_until(lambda: blocker.inside == 1)
    waiters = [asyncio.ensure_future(pool.invoke("host", b"c")) for _ in range(5)]
    await asyncio.sleep(0.02)
    for waiter in waiters:
        waiter.cancel()
    blocker.release.set()
    assert await asyncio.wait_for(running, WAIT_S) == b"v1:r"
    assert await asyncio.wait_for(pool.invoke("host", b"after"), WAIT_S) == b"v1:after"
    assert all(waiter.cancelled() for waiter in waiters)
    assert pool.in_flight == 0
    await pool.close()


async def test_closed_runtime_refuses_calls(runtime: Runtime) -> None:
    blocker = Blocker()
    blocker.release.set()
    pool = await kitchen_pool(runtime, blocker, max_instances=1)
    runtime.close()
    with pytest.raises(PoolClosed, match="runtime is closed"):
        await pool.invoke("host", b"x")
    with pytest.raises(PoolClosed, match="runtime is closed"):
        pool.invoke_sync("host", b"x")
    assert pool.in_flight == 0
