"""A guest that loops or traps on every call, hammered, next to a healthy actor on the same host.

The bad guest (the WAT test guest: ``Spin.Forever`` never returns, ``Trap.Now`` hits ``unreachable``) is called
by concurrent callers (twice its instance count, so every instance is always busy) while one caller keeps timing
ponger (real wasm). ponger's latency must stay low, and every call to the bad guest must end in a clean error reply
(deadline exceeded / trapped), never a timeout or a hang.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from host.config import HostConfig
from host.host import Host
from lattice import keys
from lattice.rpc import RpcClient
from lattice.wire import WasmCloudEntity
from tests.support.faults_support import (
    CALLER_MODULE,
    PONGER_REF,
    Load,
    caller,
    eventually,
    percentile,
    ping,
)
from tests.support.guests import signed_guest, write_module

DEADLINE_MS = 300
RPC_TIMEOUT_MS = 3000
BAD_INSTANCES = 4  # four looping calls at once: twice the cores of the CI machine
BAD_WORKERS = 2 * BAD_INSTANCES  # each call waits for at most one other before it runs: well inside the timeout
SETUP_TIMEOUT_S = 30.0
BASELINE_S = 1.0
HAMMER_S = 3.0
LATENCY_BOUND_S = DEADLINE_MS / 2 / 1000  # waiting behind a looping call would show as ~DEADLINE_MS


async def _timed_pings(rpc: RpcClient, seconds: float) -> list[float]:
    latencies = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        start = time.monotonic()
        assert await ping(rpc)
        latencies.append(time.monotonic() - start)
    return latencies


async def test_a_looping_or_trapping_guest_does_not_slow_a_healthy_actor(
    fast_nc: Any, nats_url: str, lattice_prefix: str, cluster_key: keys.KeyPair, tmp_path: Path
) -> None:
    config = HostConfig(
        lattice=lattice_prefix,
        cluster_seed=cluster_key.seed,
        allow_file_load=True,
        state_dir=tmp_path / "host",
        actor_deadline_ms=DEADLINE_MS,
    ).with_nats_url(nats_url)
    wasm, claims = signed_guest(keys.KeyPair.create(keys.KeyType.ACCOUNT))
    bad = WasmCloudEntity.actor(claims.subject)
    rpc = caller(fast_nc, lattice_prefix, cluster_key, RPC_TIMEOUT_MS)
    calls = 0

    async def hammer() -> bytes:
        nonlocal calls
        calls += 1
        operation = "Spin.Forever" if calls % 2 else "Trap.Now"
        return await rpc.call(WasmCloudEntity.actor(CALLER_MODULE), bad, operation, b"")

    async with Host(config) as host:
        await host.commands.launch_actor(PONGER_REF, 1, {})
        await host.commands.launch_actor(write_module(tmp_path, wasm), BAD_INSTANCES, {})
        await eventually(lambda: ping(rpc), SETUP_TIMEOUT_S, "ponger to answer")
        await eventually(lambda: _runs(host, claims.subject), SETUP_TIMEOUT_S, "the bad guest to start")
        baseline = await _timed_pings(rpc, BASELINE_S)
        load = Load(hammer, BAD_WORKERS)
        load.start()
        await asyncio.sleep(DEADLINE_MS / 1000)  # every worker thread the bad guest can get is busy by now
        hammered = await _timed_pings(rpc, HAMMER_S)
        outcomes = await load.stop()

    p50, p99 = percentile(hammered, 0.5), percentile(hammered, 0.99)
    kinds = {o.kind for o in outcomes}
    texts = {o.error.split(":")[0] for o in outcomes if o.error}
    print(
        f"\nbad guest: {len(outcomes)} bad calls ({kinds}: {texts}); ponger baseline p50 "
        f"{percentile(baseline, 0.5) * 1000:.1f} ms p99 {percentile(baseline, 0.99) * 1000:.1f} ms, while hammered "
        f"p50 {p50 * 1000:.1f} ms p99 {p99 * 1000:.1f} ms max {max(hammered) * 1000:.1f} ms ({len(hammered)} pings)"
    )
    assert outcomes
    assert all(not o.ok for o in outcomes)
    assert kinds == {"RemoteError"}, "a bad call ended without an error reply (a timeout or a crash)"
    assert any("deadline" in t for t in texts)
    assert any("trapped" in t for t in texts)
    assert p99 < LATENCY_BOUND_S


async def _runs(host: Host, actor_id: str) -> bool:
    return any(a.id == actor_id for a in host.commands.actors())
