"""A capability provider SIGKILLed under load: the host restarts it with its links, and no acknowledged KV write
is lost.

kvcounter (real wasm) increments one key through the real keyvalue provider (JetStream backend) from several
concurrent callers while the provider process is killed. Every increment that was acknowledged (a 200 with the new
count) must be in the final value; the unacknowledged ones fail with a clean error (an error reply or a timeout)
and may or may not have landed, so the final value lies between the two counts.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path
from typing import Any

from host.config import HostConfig
from host.host import Host
from lattice import keys
from lattice.wire import LinkDefinition
from tests.support.faults_support import (
    KEYVALUE,
    KEYVALUE_REF,
    KVCOUNTER_ID,
    KVCOUNTER_REF,
    Load,
    caller,
    child_pids,
    count_visit,
    eventually,
)

RPC_TIMEOUT_MS = 2000
WORKERS = 4
PATH = "/faults"
KEY = "counter=3A/faults"  # the provider's KV escaping of "counter:/faults"
SETUP_TIMEOUT_S = 30.0
RECOVERY_BOUND_S = 10.0
LOAD_BEFORE_S = 1.0
LOAD_AFTER_S = 1.0


async def _provider_pid(host: Host) -> int:
    pids: list[int] = []

    async def one() -> bool:
        pids[:] = child_pids("wasmlattice_keyvalue")
        return len(pids) == 1

    await eventually(one, SETUP_TIMEOUT_S, "one keyvalue provider process")
    return pids[0]


async def test_provider_sigkill_loses_no_acknowledged_increment(
    fast_nc: Any, nats_url: str, lattice_prefix: str, cluster_key: keys.KeyPair, tmp_path: Path
) -> None:
    config = HostConfig(
        lattice=lattice_prefix, cluster_seed=cluster_key.seed, allow_file_load=True, state_dir=tmp_path / "host"
    ).with_nats_url(nats_url)
    bucket = f"faults_{lattice_prefix}"
    rpc = caller(fast_nc, lattice_prefix, cluster_key, RPC_TIMEOUT_MS)
    async with Host(config) as host:
        await host.commands.launch_provider(KEYVALUE_REF, "default", None, {})
        await host.commands.launch_actor(KVCOUNTER_REF, 1, {})
        await eventually(lambda: _has_provider(host), SETUP_TIMEOUT_S, "the keyvalue provider to start")
        provider_id = host.commands.providers()[0].id
        await host.commands.put_link(LinkDefinition(KVCOUNTER_ID, provider_id, KEYVALUE, "default", {"BUCKET": bucket}))
        await eventually(lambda: _counts(rpc), SETUP_TIMEOUT_S, "kvcounter to count through the provider")
        old_pid = await _provider_pid(host)

        load = Load(lambda: count_visit(rpc, PATH), WORKERS)
        load.start()
        await asyncio.sleep(LOAD_BEFORE_S)
        killed_at = time.monotonic()
        os.kill(old_pid, signal.SIGKILL)
        await eventually(lambda: _succeeds_after(load, killed_at), RECOVERY_BOUND_S, "calls to succeed again")
        recovered_at = load.first_success_after(killed_at)
        await asyncio.sleep(LOAD_AFTER_S)
        outcomes = await load.stop()
        new_pid = await _provider_pid(host)

        kv = await fast_nc.jetstream().key_value(bucket)
        final = int((await kv.get(KEY)).value)

    acked = [o.result for o in outcomes if o.ok]
    failed = [o for o in outcomes if not o.ok]
    assert new_pid != old_pid
    assert len(set(acked)) == len(acked), "two callers were acknowledged the same count"
    # Increments of one key are serialised (compare-and-set), so distinct acknowledged counts, all at most the final
    # value, and at least as many as acknowledged, mean every acknowledged increment is in it; no more landed than
    # were attempted.
    assert max(acked) <= final
    assert len(acked) <= final <= len(outcomes)
    assert all(o.kind in ("RemoteError", "RpcTimeout") for o in failed), {o.kind for o in failed}
    assert all(o.end - o.start < RPC_TIMEOUT_MS / 1000 + 1 for o in outcomes), "a call outlived its timeout"
    assert recovered_at is not None
    assert recovered_at - killed_at < RECOVERY_BOUND_S
    print(
        f"\nprovider SIGKILL: {len(outcomes)} calls, {len(acked)} acknowledged, {len(failed)} failed "
        f"({sorted({o.kind or '' for o in failed})}), final count {final}, "
        f"first success {recovered_at - killed_at:.2f}s after the kill"
    )


async def _has_provider(host: Host) -> bool:
    return len(host.commands.providers()) == 1


async def _counts(rpc: Any) -> bool:
    return await count_visit(rpc, "/warmup") >= 1


async def _succeeds_after(load: Load, t: float) -> bool:
    return load.first_success_after(t) is not None
