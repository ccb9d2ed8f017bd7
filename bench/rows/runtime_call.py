"""Row ``await_sync``: ``await ActorPool.invoke`` (how the host calls actors) against ``ActorPool.invoke_sync`` (the
sync fast path, on the calling thread), a 16 B echo through a WAT waPC guest; interleaved rounds, medians."""

from __future__ import annotations

import asyncio
import statistics
import time

import wasmtime
from _row import Row, emit, parser
from runtime_echo import ECHO_WAT, PAYLOAD, no_host_calls

from host.runtime import ActorPool, Runtime, RuntimeConfig


async def awaited(pool: ActorPool, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        await pool.invoke("Echo.Say", PAYLOAD)
    return (time.perf_counter() - start) / n * 1e6


def synced(pool: ActorPool, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        pool.invoke_sync("Echo.Say", PAYLOAD)
    return (time.perf_counter() - start) / n * 1e6


def measure(rounds: int, calls: int) -> Row:
    with Runtime(RuntimeConfig()) as runtime:
        pool = ActorPool(runtime, runtime.compile(bytes(wasmtime.wat2wasm(ECHO_WAT)), "echo"), host_calls=no_host_calls)
        loop = asyncio.new_event_loop()
        try:
            assert loop.run_until_complete(pool.invoke("Echo.Say", PAYLOAD)) == PAYLOAD
            sync, awaits = [], []
            for _ in range(rounds):
                sync.append(synced(pool, calls))
                awaits.append(loop.run_until_complete(awaited(pool, calls)))
        finally:
            loop.run_until_complete(pool.close())
            loop.close()
    s, a = statistics.median(sync), statistics.median(awaits)
    return Row("await_sync", a / s, f"await {a:.1f} µs, sync {s:.1f} µs per call (median of {rounds} rounds)")


def main() -> None:
    options = parser(__doc__.splitlines()[0]).parse_args()
    rounds, calls = (3, 300) if options.quick else (9, 3000)
    emit([measure(rounds, calls)], options.json)


if __name__ == "__main__":
    main()
