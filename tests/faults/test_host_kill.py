"""One of two hosts SIGKILLed under steady load: the other keeps serving.

ponger (real wasm) runs on two ``python -m host`` processes, one queue group. Steady callers keep a fixed number of
calls in flight. After one host is SIGKILLed, only the calls it held can fail (each a clean timeout), so the
failures are bounded by the in-flight level; everything started after the kill succeeds on the survivor.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from lattice import keys
from lattice.control.client import ControlClient
from lattice.natsconn import NatsOptions
from tests.support.faults_support import (
    PONGER_ID,
    PONGER_REF,
    HostProcess,
    Load,
    actor_runs_on,
    caller,
    eventually,
    host_processes,
    ping,
)

RPC_TIMEOUT_MS = 1000
IN_FLIGHT = 8
SETUP_TIMEOUT_S = 30.0
LOAD_BEFORE_S = 1.5
LOAD_AFTER_S = 2.5


@pytest.mark.slow
async def test_sigkilled_host_costs_only_its_in_flight_calls(
    fast_nc: Any, nats_url: str, lattice_prefix: str, cluster_key: keys.KeyPair, tmp_path: Path
) -> None:
    hosts = (
        HostProcess(nats_url, lattice_prefix, cluster_key, tmp_path / "a"),
        HostProcess(nats_url, lattice_prefix, cluster_key, tmp_path / "b"),
    )
    with host_processes(*hosts):
        async with ControlClient(NatsOptions(url=nats_url), lattice_prefix) as ctl:
            for host in hosts:
                await host.wait_ready(ctl)
                await ctl.start_actor(host.host_id, PONGER_REF)
            for host in hosts:
                await eventually(
                    lambda h=host: actor_runs_on(ctl, h.host_id, PONGER_ID), SETUP_TIMEOUT_S, "ponger on both hosts"
                )
            rpc = caller(fast_nc, lattice_prefix, cluster_key, RPC_TIMEOUT_MS)
            await eventually(lambda: ping(rpc), SETUP_TIMEOUT_S, "ponger to answer")

            load = Load(lambda: ping(rpc), IN_FLIGHT)
            load.start()
            await asyncio.sleep(LOAD_BEFORE_S)
            victim, survivor = hosts
            killed_at = time.monotonic()
            victim.kill()
            await asyncio.sleep(LOAD_AFTER_S)
            outcomes = await load.stop()
            survivors = await ctl.ping_hosts()

    failed = [o for o in outcomes if not o.ok]
    before = [o for o in outcomes if o.end < killed_at]
    after = [o for o in outcomes if o.start > killed_at]
    assert before
    assert all(o.ok and o.result is True for o in before), "calls failed before the kill"
    assert len(failed) <= IN_FLIGHT, f"{len(failed)} failures, but only {IN_FLIGHT} calls were ever in flight"
    assert all(o.kind == "RpcTimeout" and o.start <= killed_at for o in failed), failed
    assert after
    assert all(o.ok and o.result is True for o in after), "a call started after the kill failed"
    assert [h.id for h in survivors] == [survivor.host_id]
    slowest = max(o.end - o.start for o in after)
    print(
        f"\nhost SIGKILL: {len(outcomes)} calls ({len(before)} before the kill, {len(after)} after), "
        f"{len(failed)} failed (in flight: {IN_FLIGHT}), slowest call started after the kill {slowest * 1000:.0f} ms"
    )
