"""Lattice round trip through the host to a 16-byte echo actor vs a raw nats-py request/reply, in one run.

The lattice path: sign an Invocation (cluster key), NATS request to ``wasmbus.rpc.{lattice}.{actor}``, the host's
inbox → decode → anti-forgery → claims → wasm echo guest → InvocationResponse, decode. The baseline: a nats-py
request to a responder process that answers the same 16 bytes. One local nats-server; the host (``python -m host``)
and the responder each run in their own process, the client in this one; sequential, then 64 requests in flight.

Run: ``.venv/bin/python bench/lattice_rpc.py [--sequential N] [--concurrent N] [--in-flight N]``
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import wasmtime

from lattice import keys, subjects
from lattice.claims import ActorSpec, sign_module
from lattice.control.client import ControlClient
from lattice.natsconn import NatsOptions, connect
from lattice.natsserver import NatsServer, NatsServerConfig
from lattice.rpc import RpcClient, RpcSettings
from lattice.wire import WasmCloudEntity

PAYLOAD = b"0123456789abcdef"
LATTICE = "bench"
RAW_SUBJECT = "bench.raw"
STARTUP_TIMEOUT_S = 30.0
HOST_ARGV = ("-m", "host", "--lattice", LATTICE, "--allow-file-load")
RESPONDER = """
import asyncio, sys, nats
async def main():
    nc = await nats.connect(sys.argv[1])
    async def echo(msg):
        await msg.respond(msg.data)
    await nc.subscribe("bench.raw", cb=echo)
    await asyncio.Event().wait()
asyncio.run(main())
"""
ECHO_WAT = """
(module
  (import "wapc" "__guest_request" (func $req (param i32 i32)))
  (import "wapc" "__guest_response" (func $resp (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "__guest_call") (param $op i32) (param $len i32) (result i32)
    (call $req (i32.const 0) (i32.const 1024))
    (call $resp (i32.const 1024) (local.get $len))
    (i32.const 1)))
"""

Call = Callable[[], Awaitable[bytes]]


async def sequential(call: Call, count: int) -> list[float]:
    """Per-call latencies in microseconds."""
    out = []
    for _ in range(count):
        start = time.perf_counter()
        result = await call()
        out.append((time.perf_counter() - start) * 1e6)
        assert result == PAYLOAD
    return out


async def concurrent(call: Call, count: int, in_flight: int) -> float:
    """Calls per second with ``in_flight`` requests outstanding."""
    remaining = count

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            assert await call() == PAYLOAD

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return count / (time.perf_counter() - start)


async def measure(name: str, call: Call, options: argparse.Namespace) -> tuple[float, float]:
    await sequential(call, min(200, options.sequential))  # warm up
    latencies = await sequential(call, options.sequential)
    rate = await concurrent(call, options.concurrent, options.in_flight)
    median = statistics.median(latencies)
    print(f"{name:>8}: median {median:8.1f} µs sequential, {rate:9.0f} calls/s with {options.in_flight} in flight")
    return median, rate


def write_echo_actor(directory: Path) -> tuple[Path, str]:
    """The signed 16 B echo actor as a file, and its public key."""
    account = keys.KeyPair.create(keys.KeyType.ACCOUNT)
    wasm, claims = sign_module(bytes(wasmtime.wat2wasm(ECHO_WAT)), ActorSpec(name="echo"), account)
    module = directory / "echo.wasm"
    module.write_bytes(wasm)
    return module, claims.subject


async def run(url: str, state: Path, module: Path, actor_id: str, options: argparse.Namespace) -> None:
    cluster = keys.KeyPair.create(keys.KeyType.CLUSTER)
    client = await connect(NatsOptions(url=url))
    host = await _spawn(*HOST_ARGV, "--nats-url", url, "--cluster-seed", cluster.seed, "--state-dir", str(state))
    responder = await _spawn("-c", RESPONDER, url)
    try:
        async with ControlClient(client, LATTICE) as ctl:
            host_id = await _wait_for_host(ctl)
            started = await client.subscribe(subjects.event(LATTICE, "actors_started"))
            await ctl.start_actor(host_id, f"file://{module}", options.instances)
            await started.next_msg(timeout=30)
        rpc = RpcClient(client, RpcSettings(LATTICE, host_id, cluster))
        entity = WasmCloudEntity.actor(actor_id)

        async def lattice_call() -> bytes:
            return await rpc.call(entity, entity, "Echo.Echo", PAYLOAD)

        async def raw_call() -> bytes:
            return bytes((await client.request(RAW_SUBJECT, PAYLOAD, timeout=5)).data)

        await _until_answered(raw_call)
        raw_median, raw_rate = await measure("raw", raw_call, options)
        lat_median, lat_rate = await measure("lattice", lattice_call, options)
    finally:
        for proc in (host, responder):
            proc.terminate()
            await proc.wait()
        await client.drain()
    print(f"ratio (lattice / raw): sequential latency x{lat_median / raw_median:.2f}, ", end="")
    print(f"throughput x{lat_rate / raw_rate:.2f} with {options.in_flight} in flight")


async def _spawn(*argv: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(sys.executable, *argv, stderr=asyncio.subprocess.DEVNULL)


async def _wait_for_host(ctl: ControlClient) -> str:
    async with asyncio.timeout(STARTUP_TIMEOUT_S):
        while True:
            hosts = await ctl.ping_hosts(timeout_s=0.5)
            if hosts:
                return hosts[0].id


async def _until_answered(call: Call) -> None:
    async with asyncio.timeout(STARTUP_TIMEOUT_S):
        while True:
            try:
                await call()
                return
            except Exception:  # the responder process is still starting
                await asyncio.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequential", type=int, default=2000)
    parser.add_argument("--concurrent", type=int, default=10_000)
    parser.add_argument("--in-flight", type=int, default=64)
    parser.add_argument("--instances", type=int, default=4, help="actor instances")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        module, actor_id = write_echo_actor(Path(tmp))
        with NatsServer(NatsServerConfig(store_dir=Path(tmp) / "nats")) as server:
            asyncio.run(run(server.url, Path(tmp) / "host", module, actor_id, options))


if __name__ == "__main__":
    main()
