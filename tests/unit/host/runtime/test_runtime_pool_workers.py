"""ActorPool's own worker threads: as many as the bound allows, queued calls withdrawn on cancel."""

from __future__ import annotations

import asyncio
import threading

from host.runtime import ActorPool, Limits, Runtime
from tests.support.waiting import wait_until
from tests.unit.host.runtime import runtime_guests as guests
from tests.unit.host.runtime.runtime_handlers import WAIT_S, Blocker


def pool_threads(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(f"wasm-worker-{name}")]


async def test_threads_never_outnumber_the_bound_and_end_with_the_pool(runtime: Runtime) -> None:
    blocker = Blocker()
    module = runtime.compile(guests.kitchen(), "v1")
    pool = await ActorPool.start(runtime, module, Limits(max_instances=3), host_calls=blocker, name="bound")
    calls = [asyncio.ensure_future(pool.invoke("host", bytes([i]))) for i in range(10)]
    await wait_until(lambda: blocker.inside == 3)
    assert len(pool_threads("bound")) == 3
    blocker.release.set()
    assert await asyncio.wait_for(asyncio.gather(*calls), WAIT_S) == [b"v1:" + bytes([i]) for i in range(10)]
    assert len(pool_threads("bound")) == 3
    await pool.close()
    await wait_until(lambda: not pool_threads("bound"))


class RecordingBlocker(Blocker):
    """A :class:`Blocker` that also keeps every payload it was called with."""

    def __init__(self) -> None:
        super().__init__()
        self.payloads: list[bytes] = []

    def __call__(self, binding: str, namespace: str, operation: str, payload: bytes) -> bytes:
        self.payloads.append(payload)
        return super().__call__(binding, namespace, operation, payload)


async def test_a_call_cancelled_while_queued_never_runs(runtime: Runtime) -> None:
    blocker = RecordingBlocker()
    module = runtime.compile(guests.kitchen(), "v1")
    pool = await ActorPool.start(runtime, module, Limits(max_instances=1), host_calls=blocker, name="withdraw")
    running = asyncio.ensure_future(pool.invoke("host", b"first"))
    await wait_until(lambda: blocker.inside == 1)
    queued = asyncio.ensure_future(pool.invoke("host", b"withdrawn"))
    await asyncio.sleep(0.02)
    queued.cancel()
    blocker.release.set()
    assert await asyncio.wait_for(running, WAIT_S) == b"v1:first"
    assert await asyncio.wait_for(pool.invoke("host", b"next"), WAIT_S) == b"v1:next"
    assert queued.cancelled()
    assert blocker.payloads == [b"first", b"next"]
    assert pool.in_flight == 0
    await pool.close()


async def test_calls_from_many_tasks_all_get_their_own_answer(runtime: Runtime) -> None:
    blocker = Blocker()
    blocker.release.set()
    module = runtime.compile(guests.kitchen(), "v1")
    pool = await ActorPool.start(runtime, module, Limits(max_instances=4), host_calls=blocker, name="many")
    payloads = [i.to_bytes(2, "big") for i in range(500)]
    results = await asyncio.wait_for(asyncio.gather(*(pool.invoke("host", p) for p in payloads)), WAIT_S)
    assert results == [b"v1:" + p for p in payloads]
    assert pool.in_flight == 0
    assert len(pool_threads("many")) <= 4
    await pool.close()
