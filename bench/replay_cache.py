"""What the replay cache costs per inbound invocation, against the anti-forgery check it follows.

Measures ``ReplayCache.admit`` with fresh ids (a) while the cache fills and (b) at its bound, evicting one id per
call (the worst case), and, as the baseline in the same run, ``antiforgery.validate`` of a signed 16-byte
invocation (what every inbound invocation already pays). Prints microseconds per call, the ratio to the baseline,
and the cache's memory at its bound.

Run: ``.venv/bin/python bench/replay_cache.py [--calls 100000]``
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import uuid
from collections.abc import Callable

from lattice import keys
from lattice.wire import WasmCloudEntity, antiforgery
from lattice.wire.replay import DEFAULT_MAX_ENTRIES, ReplayCache


def per_call_us(calls: int, body: Callable[[], None]) -> float:
    began = time.perf_counter()
    body()
    return (time.perf_counter() - began) / calls * 1e6


def admit_all(cache: ReplayCache, ids: list[str], issued_at: int) -> Callable[[], None]:
    def run() -> None:
        for invocation_id in ids:
            cache.admit(invocation_id, issued_at)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=DEFAULT_MAX_ENTRIES, help=f"at most {DEFAULT_MAX_ENTRIES}")
    args = parser.parse_args()
    calls = min(args.calls, DEFAULT_MAX_ENTRIES)  # one second's tokens never overflow the cache
    cluster = keys.KeyPair.create(keys.KeyType.CLUSTER)
    origin = WasmCloudEntity.actor(keys.KeyPair.create(keys.KeyType.MODULE).public_key)
    target = WasmCloudEntity.actor(keys.KeyPair.create(keys.KeyType.MODULE).public_key)
    host = keys.KeyPair.create(keys.KeyType.SERVER).public_key
    invs = [antiforgery.sign(origin, target, "Echo.Say", b"0123456789abcdef", cluster, host) for _ in range(2000)]
    issuers = [cluster.public_key]

    def validate_all() -> None:
        for inv in invs:
            antiforgery.validate(inv, issuers)

    baseline = per_call_us(len(invs), validate_all)

    ids = [uuid.uuid4().hex for _ in range(calls)]
    now = int(time.time())
    filling = ReplayCache()
    fill = per_call_us(calls, admit_all(filling, ids, now))

    full = ReplayCache(max_entries=DEFAULT_MAX_ENTRIES)
    for i in range(DEFAULT_MAX_ENTRIES):
        full.admit(f"warm{i}", now - 1)
    more = [uuid.uuid4().hex for _ in range(calls)]
    evicting = per_call_us(calls, admit_all(full, more, now))

    tracemalloc.start()
    sized = ReplayCache()
    for _ in range(DEFAULT_MAX_ENTRIES):
        sized.admit(uuid.uuid4().hex, now)
    memory, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(f"anti-forgery validate (baseline):      {baseline:7.2f} us/call")
    print(f"replay admit, filling:                  {fill:7.2f} us/call  ({fill / baseline:.3f}x the baseline)")
    print(f"replay admit, full (evicts each call):  {evicting:7.2f} us/call  ({evicting / baseline:.3f}x the baseline)")
    per_id = memory / DEFAULT_MAX_ENTRIES
    print(f"memory at the bound ({DEFAULT_MAX_ENTRIES} ids):     {memory / 1e6:7.1f} MB ({per_id:.0f} B/id)")


if __name__ == "__main__":
    main()
