"""Rows ``lattice_seq``, ``lattice_64`` and ``host_cpu``: a lattice call to a 16 B echo actor in a host process
against a raw nats-py request/reply to a responder process, on one local nats-server (``bench/lattice_rpc.py``).

Sequential latency (median) and throughput with 64 requests in flight, each as a ratio lattice / raw; and the host
process's CPU time (user + system, all its threads, from ``/proc``) per call during the in-flight run, anti-forgery on.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
from pathlib import Path

from _row import Row, emit, parser
from lattice_rpc import (
    HOST_ARGV,
    PAYLOAD,
    RAW_SUBJECT,
    RESPONDER,
    _spawn,
    _until_answered,
    _wait_for_host,
    concurrent,
    sequential,
    write_echo_actor,
)

from lattice import keys, subjects
from lattice.control.client import ControlClient
from lattice.natsconn import NatsOptions, connect
from lattice.natsserver import NatsServer, NatsServerConfig
from lattice.rpc import RpcClient, RpcSettings
from lattice.wire import WasmCloudEntity

LATTICE = "bench"
IN_FLIGHT = 64


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all threads (``/proc/PID/stat`` fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(url: str, state: Path, module: Path, actor_id: str, counts: argparse.Namespace) -> list[Row]:
    cluster = keys.KeyPair.create(keys.KeyType.CLUSTER)
    client = await connect(NatsOptions(url=url))
    host = await _spawn(*HOST_ARGV, "--nats-url", url, "--cluster-seed", cluster.seed, "--state-dir", str(state))
    responder = await _spawn("-c", RESPONDER, url)
    try:
        async with ControlClient(client, LATTICE) as ctl:
            host_id = await _wait_for_host(ctl)
            started = await client.subscribe(subjects.event(LATTICE, "actors_started"))
            await ctl.start_actor(host_id, f"file://{module}", 4)
            await started.next_msg(timeout=30)
        rpc = RpcClient(client, RpcSettings(LATTICE, host_id, cluster))
        entity = WasmCloudEntity.actor(actor_id)

        async def lattice_call() -> bytes:
            return await rpc.call(entity, entity, "Echo.Echo", PAYLOAD)

        async def raw_call() -> bytes:
            return bytes((await client.request(RAW_SUBJECT, PAYLOAD, timeout=5)).data)

        await _until_answered(raw_call)
        medians, rates = {}, {}
        for name, call in (("raw", raw_call), ("lattice", lattice_call)):
            await sequential(call, counts.warmup)
            medians[name] = statistics.median(await sequential(call, counts.sequential))
            before = cpu_seconds(host.pid)
            rates[name] = await concurrent(call, counts.concurrent, IN_FLIGHT)
            host_cpu = (cpu_seconds(host.pid) - before) / counts.concurrent * 1e6
    finally:
        for proc in (host, responder):
            proc.terminate()
            await proc.wait()
        await client.drain()
    seq = f"lattice {medians['lattice']:.0f} µs, raw {medians['raw']:.0f} µs (median of {counts.sequential})"
    flight = f"lattice {rates['lattice']:.0f}/s, raw {rates['raw']:.0f}/s ({counts.concurrent} calls)"
    return [
        Row("lattice_seq", medians["lattice"] / medians["raw"], seq),
        Row("lattice_64", rates["lattice"] / rates["raw"], flight),
        Row("host_cpu", host_cpu, f"host process CPU over {counts.concurrent} calls, {IN_FLIGHT} in flight"),
    ]


def main() -> None:
    options = parser(__doc__.splitlines()[0]).parse_args()
    quick = options.quick
    counts = argparse.Namespace(
        warmup=50 if quick else 300, sequential=200 if quick else 2000, concurrent=1000 if quick else 10_000
    )
    with tempfile.TemporaryDirectory() as tmp:
        module, actor_id = write_echo_actor(Path(tmp))
        with NatsServer(NatsServerConfig(store_dir=Path(tmp) / "nats")) as server:
            rows = asyncio.run(measure(server.url, Path(tmp) / "host", module, actor_id, counts))
    emit(rows, options.json)


if __name__ == "__main__":
    main()
