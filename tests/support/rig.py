"""A whole example lattice for the fuzz and soak runs: nats-server, a host process, the example actors, the
Python providers and the example app's links — all real, all started through the control interface.

::

    async with ExampleLattice(RigConfig()) as rig:
        rig.http_url("echo")                 # http://127.0.0.1:{port}/ of an actor's httpserver link
        rig.actors["kvcounter"]              # public keys of the example actors
        rig.providers["wasmcloud:keyvalue"]  # public keys of the providers
        rig.processes()                      # {"host": pid, "wasmcloud:httpserver": pid, ...}

The host runs as ``python -m host`` in its own process (so its RSS and a crash are its own); it starts the
providers with ``cmd.{host}.lp``, as a deployed app would. Used by ``bench/fuzz_lattice.py``, ``bench/soak.py``
and ``tests/fuzz/test_fuzz_live.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiohttp
from nats.errors import Error as NatsError

from lattice import keys
from lattice.control import ControlClient, EventWatcher, matching
from lattice.natsconn import NatsOptions
from lattice.natsserver import NatsServer, NatsServerConfig
from lattice.provider.claims import module_claims
from lattice.rpc import RpcClient, RpcSettings
from lattice.wire import LinkDefinition, WasmCloudEntity
from tests.support.ports import free_port
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "actors-examples"
DEFAULT_START_TIMEOUT_S = 120.0
DEFAULT_RPC_TIMEOUT_MS = 2000
DEFAULT_STOP_TIMEOUT_S = 20.0
PROBE_STEP_S = 0.1
HTTP = "wasmcloud:httpserver"
KEYVALUE = "wasmcloud:keyvalue"
MESSAGING = "wasmcloud:messaging"
PROVIDER_MODULES = {
    HTTP: "wasmlattice_httpserver",
    KEYVALUE: "wasmlattice_keyvalue",
    MESSAGING: "wasmlattice_messaging",
}
HTTP_ACTORS = ("echo", "kvcounter", "pinger", "logger")
ACTORS = (*HTTP_ACTORS, "ponger", "uppercase")
CLEARED_ENV_PREFIXES = ("WASMCLOUD_", "WASMLATTICE_", "HOST_")


class RigError(Exception):
    """The example lattice could not be started or stopped."""


@dataclass(frozen=True)
class RigConfig:
    lattice: str = field(default_factory=lambda: "fz" + secrets.token_hex(4))
    rpc_timeout_ms: int = DEFAULT_RPC_TIMEOUT_MS
    start_timeout_s: float = DEFAULT_START_TIMEOUT_S
    work_dir: Path | None = None  # default: a temporary directory, removed afterwards


def rss_kib(pid: int) -> int | None:
    """VmRSS of a live process in KiB (None when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def children(pid: int) -> dict[int, str]:
    """Direct children of ``pid``: pid → command line."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    return found


def example_keys() -> dict[str, str]:
    manifest = json.loads((EXAMPLES / "manifest.json").read_text())
    return {name: manifest["actors"][name]["public_key"] for name in ACTORS}


class ExampleLattice:
    """See the module docstring."""

    def __init__(self, config: RigConfig | None = None) -> None:
        self.config = config or RigConfig()
        self.lattice = self.config.lattice
        self.cluster_key = keys.KeyPair.create(keys.KeyType.CLUSTER)
        self.actors = example_keys()
        self.providers = {contract: module_claims(module).subject for contract, module in PROVIDER_MODULES.items()}
        self.ports = {name: free_port() for name in HTTP_ACTORS}
        self.uppercase_subject = f"{self.lattice}.uppercase"
        self.kv_bucket = f"{self.lattice}_kvcounter"
        self._stack = contextlib.AsyncExitStack()
        self._host_proc: subprocess.Popen[bytes] | None = None
        self.host_id = ""
        self.ctl: ControlClient
        self.nc: Any = None

    # --- public ---------------------------------------------------------------------------------------------------

    def http_url(self, actor: str, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.ports[actor]}{path}"

    @property
    def host_pid(self) -> int:
        if self._host_proc is None:
            raise RigError("the host is not running")
        return self._host_proc.pid

    def host_alive(self) -> bool:
        return self._host_proc is not None and self._host_proc.poll() is None

    def processes(self) -> dict[str, int]:
        """The host's pid and each provider's (found among the host's children by module name)."""
        out = {"host": self.host_pid}
        for pid, cmdline in children(self.host_pid).items():
            for contract, module in PROVIDER_MODULES.items():
                if f"-m {module}" in cmdline:
                    out[contract] = pid
        return out

    def rpc(self, timeout_ms: int | None = None) -> RpcClient:
        """A signed-invocation client trusted by the host (it signs with the lattice's cluster seed)."""
        caller = keys.KeyPair.create(keys.KeyType.SERVER).public_key
        settings = RpcSettings(self.lattice, caller, self.cluster_key, timeout_ms or self.config.rpc_timeout_ms)
        return RpcClient(self.nc, settings)

    async def call_actor(self, actor: str, operation: str, payload: bytes, timeout_ms: int | None = None) -> bytes:
        origin = WasmCloudEntity.actor(keys.KeyPair.create(keys.KeyType.MODULE).public_key)
        target = WasmCloudEntity.actor(self.actors[actor])
        return await self.rpc(timeout_ms).call(origin, target, operation, payload)

    @property
    def host_log(self) -> Path:
        return self._work / "host.log"

    # --- lifecycle ------------------------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        try:
            await self._start()
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._stack.aclose()

    async def _start(self) -> None:
        if self.config.work_dir is None:
            self._work = Path(self._stack.enter_context(tempfile.TemporaryDirectory(prefix="wasmlattice-rig-")))
        else:
            self._work = self.config.work_dir
            self._work.mkdir(parents=True, exist_ok=True)
        nats = NatsServer(NatsServerConfig(store_dir=self._work / "nats"))
        await nats.start_async()
        self._stack.push_async_callback(nats.stop_async)
        self.nats_url = nats.url
        self.ctl = await self._stack.enter_async_context(ControlClient(NatsOptions(url=nats.url), self.lattice))
        self.nc = self.ctl.nc
        self._spawn_host()
        self._stack.push_async_callback(self._stop_host)
        async with asyncio.timeout(self.config.start_timeout_s):
            self.host_id = await self._wait_host()
            async with EventWatcher(self.nc, self.lattice) as watcher:
                await self._launch(watcher)
            await self._link()
            await self._wait_serving()

    def _spawn_host(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED_ENV_PREFIXES)}
        env |= {"WASMLATTICE_APP_RECONCILER": "false", "PYTHONUNBUFFERED": "1"}
        argv = [sys.executable, "-m", "host", "--nats-url", self.nats_url, "--lattice", self.lattice]
        argv += ["--cluster-seed", self.cluster_key.seed, "--allow-file-load", "--state-dir", str(self._work / "host")]
        argv += ["--rpc-timeout-ms", str(self.config.rpc_timeout_ms)]
        with self.host_log.open("wb") as log:
            self._host_proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)

    async def _wait_host(self) -> str:
        while True:
            if not self.host_alive():
                raise RigError(
                    f"the host exited during start; see {self.host_log}:\n{self.host_log.read_text()[-2000:]}"
                )
            hosts = await self.ctl.ping_hosts(timeout_s=0.3)
            if hosts:
                return hosts[0].id

    async def _launch(self, watcher: EventWatcher) -> None:
        for module in PROVIDER_MODULES.values():
            await self.ctl.start_provider(self.host_id, f"python:{module}")
        for name in ACTORS:
            await self.ctl.start_actor(self.host_id, f"file://{EXAMPLES / name / (name + '.wasm')}")
        wanted = {("provider_started", pk) for pk in self.providers.values()}
        wanted |= {("actors_started", pk) for pk in self.actors.values()}
        failed = matching("provider_start_failed", "actors_start_failed", "actor_start_failed")
        while wanted:
            event = await watcher.next()
            if failed(event):
                raise RigError(f"start failed: {event.name} {dict(event.data)}")
            wanted.discard((event.name, str(event.data.get("public_key", ""))))

    def links(self) -> list[LinkDefinition]:
        http, kv, msg = (self.providers[c] for c in (HTTP, KEYVALUE, MESSAGING))
        out = [LinkDefinition(self.actors[a], http, HTTP, "default", {"port": str(self.ports[a])}) for a in HTTP_ACTORS]
        out.append(LinkDefinition(self.actors["kvcounter"], kv, KEYVALUE, "default", {"bucket": self.kv_bucket}))
        out.append(
            LinkDefinition(
                self.actors["uppercase"], msg, MESSAGING, "default", {"subscription": self.uppercase_subject}
            )
        )
        return out

    async def _link(self) -> None:
        for link in self.links():
            await self.ctl.put_link(link)

    async def _wait_serving(self) -> None:
        """Until every HTTP link answers 200 and uppercase answers over NATS (links apply asynchronously)."""
        within = self.config.start_timeout_s  # the caller's own timeout over the whole start is the real bound
        async with aiohttp.ClientSession() as http:
            for actor in HTTP_ACTORS:

                async def ok(url: str = self.http_url(actor, "/ready")) -> bool:
                    async with http.get(url) as resp:
                        return resp.status == 200

                await wait_until(ok, within, f"{actor} over HTTP", poll_s=PROBE_STEP_S, retry_on=(aiohttp.ClientError,))

        async def uppercases() -> bool:
            reply = await self.nc.request(self.uppercase_subject, b"ready", timeout=0.5)
            return bool(reply.data == b"READY")

        await wait_until(uppercases, within, "uppercase over NATS", poll_s=PROBE_STEP_S, retry_on=(NatsError,))

    async def _stop_host(self) -> None:
        proc = self._host_proc
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(Exception):
            await self.ctl.stop_host(self.host_id)
        try:
            await asyncio.to_thread(proc.wait, DEFAULT_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            await asyncio.to_thread(proc.wait)
