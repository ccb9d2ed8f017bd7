"""Rows ``cold_start``, ``actors_100``, ``rss_actor`` and ``rss_instance``: starting actors on a host process.

One host process (``python -m host``, file loads allowed) on a local nats-server; every actor is a distinct signed
16 B echo module. Times run from sending the control command to receiving the ``actors_started`` event.

* ``cold_start``: 20 actors started one after another whose machine code is in the module cache (the host compiled
  them before and they were stopped since); baseline: the same 20 started the first time (compiled).
* ``actors_100``: 100 more actors, cached (compiled into the host's cache directory by this process beforehand),
  their start commands 32 at a time (a host takes at most 64 control requests at once); ``rss_actor``: the host's
  RSS growth per idle actor after them.
* ``rss_instance``: RSS growth of this process per idle instance of the example echo actor (AssemblyScript),
  200 pools of one instance each, against the process before (runtime only, no host).
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import wasmtime
from _row import BENCH_DIR, Row, emit, parser
from lattice_rpc import HOST_ARGV, _spawn, _wait_for_host

from host.host import WASM_CACHE_DIR
from host.runtime import ActorPool, Runtime, RuntimeConfig
from lattice import keys, subjects
from lattice.claims import ActorSpec, sign_module
from lattice.control.client import ControlClient
from lattice.natsconn import NatsOptions, connect
from lattice.natsserver import NatsServer, NatsServerConfig

LATTICE = "bench"
SEQUENTIAL = 20
MANY = 100
INSTANCES = 200
EXAMPLE_ECHO = BENCH_DIR.parent / "actors-examples" / "echo" / "echo.wasm"
START_TIMEOUT_S = 60.0
COMMANDS_IN_FLIGHT = 32  # a host refuses more than 64 control requests in flight


def echo_wat(n: int) -> str:
    """A 16 B echo guest made distinct by an exported constant (so each has its own hash and cache entry)."""
    return f"""
(module
  (import "wapc" "__guest_request" (func $req (param i32 i32)))
  (import "wapc" "__guest_response" (func $resp (param i32 i32)))
  (memory (export "memory") 1)
  (global (export "n") i32 (i32.const {n}))
  (func (export "__guest_call") (param $op i32) (param $len i32) (result i32)
    (call $req (i32.const 0) (i32.const 1024))
    (call $resp (i32.const 1024) (local.get $len))
    (i32.const 1)))
"""


def write_actors(directory: Path, count: int) -> list[tuple[Path, bytes, str]]:
    """Signed modules as files: path, bytes and public key of each."""
    account = keys.KeyPair.create(keys.KeyType.ACCOUNT)
    out = []
    for n in range(count):
        wasm, claims = sign_module(bytes(wasmtime.wat2wasm(echo_wat(n))), ActorSpec(name=f"echo{n}"), account)
        path = directory / f"echo{n}.wasm"
        path.write_bytes(wasm)
        out.append((path, wasm, claims.subject))
    return out


def rss_kib(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class Starter:
    """Starts actors on one host and waits for their ``actors_started`` events."""

    def __init__(self, ctl: ControlClient, nc: Any, host_id: str) -> None:
        self.ctl, self.nc, self.host_id = ctl, nc, host_id

    async def start(self, paths: list[Path]) -> float:
        """Seconds from sending the first command to the last ``actors_started`` event."""
        sub = await self.nc.subscribe(subjects.event(LATTICE, "actors_started"))
        gate = asyncio.Semaphore(COMMANDS_IN_FLIGHT)

        async def send(path: Path) -> None:
            async with gate:
                await self.ctl.start_actor(self.host_id, f"file://{path}", 1)

        begin = time.perf_counter()
        await asyncio.gather(*(send(p) for p in paths))
        for _ in paths:
            await sub.next_msg(timeout=START_TIMEOUT_S)
        elapsed = time.perf_counter() - begin
        await sub.unsubscribe()
        return elapsed

    async def stop(self, actor_ids: list[str]) -> None:
        sub = await self.nc.subscribe(subjects.event(LATTICE, "actors_stopped"))
        for actor_id in actor_ids:
            await self.ctl.stop_actor(self.host_id, actor_id, 0)
        for _ in actor_ids:
            await sub.next_msg(timeout=START_TIMEOUT_S)
        await sub.unsubscribe()


async def host_rows(url: str, state: Path, actors: list[tuple[Path, bytes, str]]) -> list[Row]:
    first, many = actors[:SEQUENTIAL], actors[SEQUENTIAL:]
    with Runtime(RuntimeConfig(cache_dir=state / WASM_CACHE_DIR)) as runtime:
        for _, wasm, _ in many:  # into the host's module cache, as a host that ran them before would have left it
            runtime.compile(wasm, "")
    cluster = keys.KeyPair.create(keys.KeyType.CLUSTER)
    client = await connect(NatsOptions(url=url))
    host = await _spawn(*HOST_ARGV, "--nats-url", url, "--cluster-seed", cluster.seed, "--state-dir", str(state))
    try:
        async with ControlClient(client, LATTICE) as ctl:
            starter = Starter(ctl, client, await _wait_for_host(ctl))
            compiled = [await starter.start([path]) for path, _, _ in first]
            ids = [actor_id for _, _, actor_id in first]
            await starter.stop(ids)
            cached = [await starter.start([path]) for path, _, _ in first]
            await starter.stop(ids)
            await asyncio.sleep(0.5)  # let the stopped actors' memory settle before the baseline
            rss_before = rss_kib(host.pid)
            hundred = await starter.start([path for path, _, _ in many])
            await asyncio.sleep(0.5)
            rss_after = rss_kib(host.pid)
    finally:
        host.terminate()
        await host.wait()
        await client.drain()
    c, u = statistics.median(cached) * 1e3, statistics.median(compiled) * 1e3
    return [
        Row("cold_start", c, f"cached {c:.1f} ms, first start (compiled) {u:.1f} ms; median of {len(first)}"),
        Row(
            "actors_100",
            hundred,
            f"{len(many)} start commands, {COMMANDS_IN_FLIGHT} in flight, until the last actors_started event",
        ),
        Row("rss_actor", (rss_after - rss_before) / len(many), f"host RSS {rss_before} → {rss_after} KiB"),
    ]


async def instance_row() -> Row:
    wasm = EXAMPLE_ECHO.read_bytes()

    def no_host_calls(binding: str, namespace: str, operation: str, payload: bytes) -> bytes:
        return b""

    with Runtime(RuntimeConfig()) as runtime:
        module = runtime.compile(wasm, "echo")
        warm = await ActorPool.start(runtime, module, host_calls=no_host_calls)
        gc.collect()
        before = rss_kib()
        pools = [await ActorPool.start(runtime, module, host_calls=no_host_calls) for _ in range(INSTANCES)]
        gc.collect()
        after = rss_kib()
        for pool in [warm, *pools]:
            await pool.close()
    detail = f"{INSTANCES} pools of one instance of actors-examples/echo: RSS {before} → {after} KiB"
    return Row("rss_instance", (after - before) / INSTANCES, detail)


async def measure() -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        actors = write_actors(Path(tmp), SEQUENTIAL + MANY)
        with NatsServer(NatsServerConfig(store_dir=Path(tmp) / "nats")) as server:
            rows = await host_rows(server.url, Path(tmp) / "host", actors)
    return [*rows, await instance_row()]


def main() -> None:
    options = parser(__doc__.splitlines()[0]).parse_args()
    emit(asyncio.run(measure()), options.json)


if __name__ == "__main__":
    main()
