"""Helpers of the fault-injection tests: the example actors, host processes to SIGKILL, a steady load that
records every call, small NATS clusters, and waiting with a deadline.

Everything here is real: ``python -m host`` subprocesses, nats-servers from the wheel, wasm from actors-examples/.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgpack

from lattice import keys
from lattice.control.client import ControlClient
from lattice.interfaces.httpserver import CONTRACT_ID as HTTPSERVER
from lattice.interfaces.httpserver import HANDLE_REQUEST, HttpRequest, HttpResponse
from lattice.natsconn import NatsOptions, connect
from lattice.natsserver import NatsServer, NatsServerConfig
from lattice.rpc import RpcClient, RpcSettings
from lattice.rpc.errors import RemoteError, RpcError
from lattice.wire import WasmCloudEntity
from tests.support.ports import free_ports
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "actors-examples"
MANIFEST = json.loads((EXAMPLES / "manifest.json").read_text(encoding="utf-8"))["actors"]
PONGER_ID: str = MANIFEST["ponger"]["public_key"]
KVCOUNTER_ID: str = MANIFEST["kvcounter"]["public_key"]
PONGER_REF = f"file://{EXAMPLES / MANIFEST['ponger']['wasm']}"
KVCOUNTER_REF = f"file://{EXAMPLES / MANIFEST['kvcounter']['wasm']}"
PING = "Pingpong.Ping"
PONG = "pong from ponger"
KEYVALUE = "wasmcloud:keyvalue"
KEYVALUE_REF = "python:wasmlattice_keyvalue"

CALLER_MODULE = keys.KeyPair.create(keys.KeyType.MODULE).public_key
HTTP_ORIGIN = WasmCloudEntity.provider(keys.KeyPair.create(keys.KeyType.SERVICE).public_key, HTTPSERVER, "default")
FAST_RECONNECT_S = 0.1
CLIENT_CONNECT_TIMEOUT_S = 5.0
HOST_READY_TIMEOUT_S = 30.0
HOST_KILL_WAIT_S = 5.0
POLL_S = 0.05


# --- waiting --------------------------------------------------------------------------------------------------------


RECOVERING = (RpcError, TimeoutError, OSError)
"""What a check may raise while the lattice is still recovering: "not yet", not a failure."""


async def eventually(check: Callable[[], Awaitable[bool]], timeout_s: float, what: str) -> float:
    """:func:`~tests.support.waiting.wait_until` through recovery errors; returns how long it took."""
    start = time.monotonic()
    await wait_until(check, timeout_s, what, poll_s=POLL_S, retry_on=RECOVERING)
    return time.monotonic() - start


async def client(url: str, name: str) -> Any:
    """A test-side NATS client that reconnects quickly (so it never hides the lattice's own recovery time)."""
    opts = NatsOptions(
        url=url, name=name, connect_timeout_s=CLIENT_CONNECT_TIMEOUT_S, reconnect_wait_s=FAST_RECONNECT_S
    )
    return await connect(opts)


def caller(nc: Any, lattice: str, cluster: keys.KeyPair, timeout_ms: int) -> RpcClient:
    """A signed-invocation client standing for another lattice member."""
    host_id = keys.KeyPair.create(keys.KeyType.SERVER).public_key
    return RpcClient(nc, RpcSettings(lattice, host_id, cluster, timeout_ms))


async def ping(rpc: RpcClient, actor_id: str = PONGER_ID) -> bool:
    reply = await rpc.call(WasmCloudEntity.actor(CALLER_MODULE), WasmCloudEntity.actor(actor_id), PING, b"")
    return bool(msgpack.unpackb(reply) == PONG)


async def count_visit(rpc: RpcClient, path: str) -> int:
    """One kvcounter request (as the httpserver provider sends it); its counter, or RemoteError for a 500."""
    request = HttpRequest("GET", path).encode()
    reply = await rpc.call(HTTP_ORIGIN, WasmCloudEntity.actor(KVCOUNTER_ID), HANDLE_REQUEST, request)
    response = HttpResponse.decode(reply)
    body = json.loads(response.body)
    if response.status_code != 200:
        raise RemoteError(f"kvcounter answered {response.status_code}: {body.get('error')}")
    return int(body["counter"])


# --- steady load ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One call: when it started and ended (monotonic seconds), its result or the error's class and text."""

    start: float
    end: float
    result: Any = None
    error: str | None = None
    kind: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class Load:
    """``workers`` callers each looping ``call()`` back to back until stopped; every outcome is kept."""

    call: Callable[[], Awaitable[Any]]
    workers: int
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._work()) for _ in range(self.workers)]

    async def _work(self) -> None:
        while not self._stop.is_set():
            start = time.monotonic()
            try:
                result = await self.call()
            except RpcError as exc:  # the clean failures: a timeout, an error reply, a chunk failure
                self.outcomes.append(Outcome(start, time.monotonic(), error=str(exc), kind=type(exc).__name__))
            else:
                self.outcomes.append(Outcome(start, time.monotonic(), result=result))

    async def stop(self) -> list[Outcome]:
        """Stop after the calls in flight end; any exception other than RpcError fails the test here."""
        self._stop.set()
        await asyncio.gather(*self._tasks)
        return self.outcomes

    def successes_since(self, t: float) -> int:
        return sum(1 for o in self.outcomes if o.ok and o.start >= t)

    def first_success_after(self, t: float) -> float | None:
        """The end of the first call started after ``t`` that succeeded (None when there is none yet)."""
        ends = [o.end for o in self.outcomes if o.ok and o.start >= t]
        return min(ends) if ends else None


# --- host processes -------------------------------------------------------------------------------------------------


class HostProcess:
    """``python -m host`` as a child process in its own session, so a SIGKILL takes down exactly it."""

    def __init__(self, url: str, lattice: str, cluster: keys.KeyPair, state_dir: Path, **env: str) -> None:
        self.key = keys.KeyPair.create(keys.KeyType.SERVER)
        self.log_path = state_dir / "host.log"
        self._argv = [
            sys.executable, "-m", "host", "--nats-url", url, "--lattice", lattice, "--host-seed", self.key.seed,
            "--cluster-seed", cluster.seed, "--allow-file-load", "--state-dir", str(state_dir),
        ]  # fmt: skip
        self._env = {**os.environ, **env}
        state_dir.mkdir(parents=True, exist_ok=True)
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def host_id(self) -> str:
        return self.key.public_key

    @property
    def pid(self) -> int | None:
        """The process id while it runs (None when never started or exited)."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def start(self, url: str | None = None) -> None:
        """Start (or restart) the process; ``url`` replaces the NATS URL it was made with (e.g. a live node)."""
        if url is not None:
            self._argv[self._argv.index("--nats-url") + 1] = url
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                self._argv, cwd=ROOT, env=self._env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True,
            )  # fmt: skip

    async def wait_ready(self, ctl: ControlClient, timeout_s: float = HOST_READY_TIMEOUT_S) -> None:
        async def answers() -> bool:
            if self._proc is not None and self._proc.poll() is not None:
                raise AssertionError(f"host exited with {self._proc.returncode}:\n{self.log_tail()}")
            return any(h.id == self.host_id for h in await ctl.ping_hosts(timeout_s=0.3))

        await eventually(answers, timeout_s, f"host {self.host_id[:8]} to answer pings")

    def kill(self) -> None:
        """SIGKILL, no goodbye: the host cannot unsubscribe, reply or publish ``host_stopped``."""
        assert self._proc is not None
        os.killpg(self._proc.pid, signal.SIGKILL)
        self._proc.wait(HOST_KILL_WAIT_S)

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(HOST_KILL_WAIT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@contextmanager
def host_processes(*hosts: HostProcess) -> Iterator[tuple[HostProcess, ...]]:
    for host in hosts:
        host.start()
    try:
        yield hosts
    finally:
        for host in hosts:
            host.stop()


async def actor_runs_on(ctl: ControlClient, host_id: str, actor_id: str) -> bool:
    inventory = await ctl.get_inventory(host_id)
    return any(a.id == actor_id for a in inventory.actors)


# --- NATS -----------------------------------------------------------------------------------------------------------


def cluster_servers(base: Path, size: int = 3, name: str = "faults") -> list[NatsServer]:
    """``size`` JetStream servers routed into one cluster, each with its own config file and store."""
    client_ports, route_ports = free_ports(size), free_ports(size)
    routes = ", ".join(f"nats-route://127.0.0.1:{p}" for p in route_ports)
    servers = []
    for i in range(size):
        store = base / f"n{i}"
        store.mkdir(parents=True, exist_ok=True)
        conf = store / "nats.conf"
        conf.write_text(
            f"cluster {{ name: {name}, listen: 127.0.0.1:{route_ports[i]}, routes: [{routes}] }}\n",
            encoding="utf-8",
        )
        config = NatsServerConfig(store_dir=store, port=client_ports[i], config_file=conf, server_name=f"{name}-n{i}")
        servers.append(NatsServer(config))
    return servers


def restartable(server: NatsServer) -> NatsServer:
    """A fresh server object on the same port and store directory as ``server`` (which must have run)."""
    cfg = server.config
    return NatsServer(
        NatsServerConfig(
            store_dir=cfg.store_dir,
            host=cfg.host,
            port=server.port if cfg.port is None else cfg.port,
            config_file=cfg.config_file,
            server_name=cfg.server_name,
            extra_args=cfg.extra_args,
        )
    )


def child_pids(needle: str) -> list[int]:
    """Our child processes whose command line contains ``needle`` (what an operator would find with ps)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue
        if ppid == os.getpid() and needle in cmdline:
            found.append(int(stat.parent.name))
    return found


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
