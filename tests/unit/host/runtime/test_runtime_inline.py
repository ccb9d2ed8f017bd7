"""Guest calls inline on the event loop (host.runtime.inline): what may run there, and how a call moves off it."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading

import pytest

from host.runtime import ActorPool, DeadlineExceeded, HostCallFailed, Limits, Runtime, RuntimeConfig
from host.runtime.inline import FIRST_PROBATION, SLOW_STRIKES, InlinePolicy, budget_ticks
from tests.support.waiting import wait_until
from tests.unit.host.runtime import runtime_guests as guests
from tests.unit.host.runtime.runtime_handlers import WAIT_S, Recorder

INLINE_NS = "inline:test"


class InlineRecorder(Recorder):
    """A :class:`Recorder` that serves ``inline:test`` on any thread (as the host's router serves its built-ins)."""

    inline_namespaces = frozenset({INLINE_NS})


async def mover_pool(runtime: Runtime, handler: Recorder, limits: Limits | None = None) -> ActorPool:
    module = runtime.compile(guests.mover(), "mover")
    return await ActorPool.start(runtime, module, limits, host_calls=handler, log=handler.log, name="mover")


async def test_a_short_call_runs_on_the_loop_with_its_non_blocking_host_calls(runtime: Runtime) -> None:
    handler = InlineRecorder()
    pool = await mover_pool(runtime, handler)
    assert await pool.invoke("i", b"x") == b"pong:x"
    assert await pool.invoke("e", b"echo") == b"echo"
    assert handler.threads == [threading.current_thread()]  # served right here, on the event loop thread
    assert handler.lines == ["x", "wasi line"]
    assert pool.runs_inline
    await pool.close()


async def test_a_blocking_host_call_moves_the_call_to_a_worker_once(runtime: Runtime) -> None:
    handler = InlineRecorder()
    pool = await mover_pool(runtime, handler)
    assert await pool.invoke("b", b"y") == b"pong:y"
    assert [call[1] for call in handler.calls] == ["wasmcloud:test"]  # the handler saw it once ...
    assert handler.threads[0] is not threading.current_thread()  # ... on a worker thread
    assert handler.lines == ["y", "wasi line"]  # the abandoned inline start wrote nothing
    assert not pool.runs_inline  # pinned to the workers: its calls would only move again
    assert await pool.invoke("i", b"z") == b"pong:z"
    assert handler.threads[1] is not threading.current_thread()
    assert (pool.in_flight, pool.size) == (0, 1)
    await pool.close()


async def test_a_host_call_that_waits_on_the_event_loop_does_not_deadlock(runtime: Runtime) -> None:
    loop = asyncio.get_running_loop()
    hops: list[threading.Thread] = []

    async def on_the_loop(payload: bytes) -> bytes:
        hops.append(threading.current_thread())
        await asyncio.sleep(0)
        return b"via loop:" + payload

    def needs_the_loop(binding: str, namespace: str, operation: str, payload: bytes) -> bytes:
        """What the host's router does for an RPC: run a coroutine on the loop and wait for it."""
        try:
            return asyncio.run_coroutine_threadsafe(on_the_loop(payload), loop).result(WAIT_S)
        except concurrent.futures.TimeoutError:
            raise HostCallFailed("the event loop never ran the host call") from None

    module = runtime.compile(guests.mover(), "mover")
    pool = await ActorPool.start(runtime, module, host_calls=needs_the_loop)
    assert await asyncio.wait_for(pool.invoke("b", b"q"), WAIT_S) == b"via loop:q"
    assert hops == [threading.current_thread()]
    await pool.close()


async def test_a_looping_call_leaves_the_loop_within_its_budget_and_meets_its_deadline(runtime: Runtime) -> None:
    handler = InlineRecorder()
    pool = await mover_pool(runtime, handler, Limits(deadline_ms=600))
    assert budget_ticks(runtime.config.inline_call_us, runtime.config.epoch_tick_ms) < 600 // 5
    loop = asyncio.get_running_loop()
    beats: list[asyncio.TimerHandle] = []

    def beat() -> None:  # a timer that sets itself again: it fires only while the loop runs
        beats.append(loop.call_later(0.01, beat))

    beat()
    with pytest.raises(DeadlineExceeded, match="600 ms"):
        await pool.invoke("l", b"")
    beats[-1].cancel()
    assert len(beats) >= 10  # the loop kept running while the guest looped (on a worker, after its inline start)
    assert not pool.runs_inline
    assert await pool.invoke("e", b"after") == b"after"  # a fresh instance serves
    await pool.close()


async def test_a_deadline_shorter_than_the_budget_is_met_inline() -> None:
    with Runtime(RuntimeConfig(epoch_tick_ms=5)) as runtime:
        pool = await mover_pool(runtime, InlineRecorder(), Limits(deadline_ms=1))
        with pytest.raises(DeadlineExceeded, match="1 ms"):
            await pool.invoke("l", b"")
        assert not pool.runs_inline
        await pool.close()


async def test_inline_calls_can_be_turned_off() -> None:
    handler = InlineRecorder()
    with Runtime(RuntimeConfig(inline_call_us=0)) as runtime:
        pool = await mover_pool(runtime, handler)
        assert not pool.runs_inline
        assert await pool.invoke("i", b"w") == b"pong:w"
        assert handler.threads[0] is not threading.current_thread()
        await pool.close()


async def test_many_concurrent_calls_share_the_loop_and_the_workers(runtime: Runtime) -> None:
    pool = await mover_pool(runtime, InlineRecorder(), Limits(max_instances=3))
    payloads = [i.to_bytes(2, "big") for i in range(300)]
    assert await asyncio.wait_for(asyncio.gather(*(pool.invoke("e", p) for p in payloads)), WAIT_S) == payloads
    assert pool.in_flight == 0
    assert pool.size <= 3
    await pool.close()


async def test_a_swap_judges_the_new_module_afresh(runtime: Runtime) -> None:
    pool = await mover_pool(runtime, InlineRecorder())
    assert await pool.invoke("b", b"1") == b"pong:1"
    assert not pool.runs_inline
    await pool.swap(runtime.compile(guests.mover(), "mover v2"))
    assert pool.runs_inline
    await pool.close()


async def test_calls_that_move_while_the_pool_closes_are_answered(runtime: Runtime) -> None:
    pool = await mover_pool(runtime, InlineRecorder(), Limits(max_instances=2))
    calls = [asyncio.ensure_future(pool.invoke("b", bytes([i]))) for i in range(6)]
    await wait_until(lambda: any(call.done() for call in calls))
    await pool.close()
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    assert all(o == b"pong:" + bytes([i]) or type(o).__name__ == "PoolClosed" for i, o in enumerate(outcomes))
    assert pool.in_flight == 0


# --- the policy alone ----------------------------------------------------------------------------------------------


def test_slow_inline_calls_demote_the_pool_and_short_worker_calls_bring_it_back() -> None:
    policy = InlinePolicy(500)
    for _ in range(SLOW_STRIKES - 1):
        policy.after_inline(0.002)
    policy.after_inline(0.0001)  # a short one in between: the strikes start again
    for _ in range(SLOW_STRIKES - 1):
        policy.after_inline(0.002)
    assert policy.allowed
    policy.after_inline(0.002)
    assert not policy.allowed
    for _ in range(FIRST_PROBATION - 1):
        policy.after_worker(0.0001, blocking=False)
    policy.after_worker(0.002, blocking=False)  # a long one resets the probation
    for _ in range(FIRST_PROBATION):
        policy.after_worker(0.0001, blocking=False)
    assert policy.allowed
    policy.moved(blocking=False)  # ran past its budget: demoted again, and the probation doubles
    for _ in range(FIRST_PROBATION):
        policy.after_worker(0.0001, blocking=False)
    assert not policy.allowed
    for _ in range(FIRST_PROBATION):
        policy.after_worker(0.0001, blocking=False)
    assert policy.allowed


def test_a_blocking_host_call_pins_the_pool_to_its_workers() -> None:
    for event in ("moved", "seen on a worker"):
        policy = InlinePolicy(500)
        if event == "moved":
            policy.moved(blocking=True)
        else:
            policy.after_worker(0.0001, blocking=True)
        for _ in range(10 * FIRST_PROBATION):
            policy.after_worker(0.0001, blocking=False)
        assert (policy.allowed, policy.pinned) == (False, True), event


def test_the_budget_is_at_least_two_ticks() -> None:
    assert budget_ticks(500, 10) == 2
    assert budget_ticks(25_000, 10) == 4
    assert budget_ticks(0, 1) == 2
