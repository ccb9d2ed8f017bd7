"""A whole lattice for the example actors: one in-process host, providers it starts through the control interface,
the committed signed actors from actors-examples/, and an HTTP client.

:func:`open_lattice` is an async context manager yielding an :class:`ExampleLattice`; the test modules wrap it in
module-scoped fixtures so one host and its providers serve every test of a module.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from host.config import HostConfig
from host.host import Host
from lattice import keys
from lattice.app import manifest
from lattice.app.deploy import current_status
from lattice.app.status import AppStatus
from lattice.app.store import AppStore
from lattice.claims import read_claims
from lattice.control import ControlClient
from lattice.natsconn import NatsOptions, connect
from lattice.wire import LinkDefinition
from tests.integration.host.hostcore_support import EventLog
from tests.support.ports import free_port
from tests.support.waiting import wait_until

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "actors-examples"
HTTPSERVER = "wasmcloud:httpserver"
KEYVALUE = "wasmcloud:keyvalue"
MESSAGING = "wasmcloud:messaging"
PROVIDER_REFS = {
    HTTPSERVER: "python:wasmlattice_httpserver",
    KEYVALUE: "python:wasmlattice_keyvalue",
    MESSAGING: "python:wasmlattice_messaging",
}
LINK_NAME = "default"
PROVIDER_START_S = 30.0
SETTLE_S = 10.0
POLL_S = 0.05
HTTP_TIMEOUT_S = 5.0
ACTOR_DEADLINE_MS = 3000
DRAIN_TIMEOUT_S = 5
READY_TIMEOUT_S = 45.0


def example(name: str) -> Path:
    """The committed signed module of example actor ``name``."""
    return EXAMPLES / name / f"{name}.wasm"


def host_config(nats_url: str, prefix: str, state_dir: Path, **overrides: Any) -> HostConfig:
    cluster = keys.KeyPair.create(keys.KeyType.CLUSTER)
    return HostConfig(
        lattice=prefix,
        cluster_seed=cluster.seed,
        allow_file_load=True,
        state_dir=state_dir,
        actor_deadline_ms=ACTOR_DEADLINE_MS,
        **overrides,
    ).with_nats_url(nats_url)


@dataclass
class ExampleLattice:
    """A running lattice: the host, a NATS client, a control client, the event log and an HTTP session."""

    prefix: str
    host: Host
    nc: Any
    ctl: ControlClient
    events: EventLog
    http: aiohttp.ClientSession
    providers: dict[str, str] = field(default_factory=dict)  # contract id → provider public key

    async def start_provider(self, contract_id: str) -> str:
        """Start the bundled provider for ``contract_id`` over the control interface; its public key."""
        before = len(self.events.named("provider_started", contract_id=contract_id))
        await self.ctl.start_provider(self.host.host_id, PROVIDER_REFS[contract_id], LINK_NAME)
        started = await self.events.wait_for("provider_started", before + 1, PROVIDER_START_S, contract_id=contract_id)
        key: str = started[-1]["data"]["public_key"]
        self.providers[contract_id] = key
        return key

    async def start_actor(self, module: Path) -> str:
        """Start the signed module at ``module`` over the control interface; its public key once it runs."""
        actor = read_claims(await asyncio.to_thread(module.read_bytes)).subject
        await self.ctl.start_actor(self.host.host_id, f"file://{module}")
        await self.events.wait_for("actors_started", public_key=actor)
        return actor

    async def link(self, actor: str, contract_id: str, values: dict[str, str]) -> None:
        await self.ctl.put_link(LinkDefinition(actor, self.providers[contract_id], contract_id, LINK_NAME, values))
        await self.events.wait_for("linkdef_set", actor_id=actor, contract_id=contract_id)

    async def serve_http(self, actor: str) -> str:
        """Link ``actor`` to the httpserver on a free port; the base URL once the listener accepts connections."""
        port = free_port()
        await self.link(actor, HTTPSERVER, {"port": str(port)})
        url = f"http://127.0.0.1:{port}"
        await wait_listening(port)
        return url


async def wait_listening(port: int, timeout_s: float = SETTLE_S) -> None:
    """Until something accepts TCP connections on 127.0.0.1:``port`` (the provider applies links asynchronously)."""

    async def accepts() -> bool:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True

    await wait_until(accepts, timeout_s, f"a listener on port {port}", poll_s=POLL_S, retry_on=(OSError,))


async def wait_app_ready(lattice: ExampleLattice, app: manifest.Application) -> AppStatus:
    """Until every component of ``app`` runs and every link is taken by its provider (as ``lattice app status``)."""
    store = AppStore(lattice.nc, lattice.prefix)

    async def ready() -> AppStatus | None:
        state = await current_status(lattice.ctl, store, app)
        return state if state.ready else None

    found: AppStatus = await wait_until(ready, READY_TIMEOUT_S, f"{app.name} to be ready", poll_s=POLL_S * 4)
    return found


@contextlib.asynccontextmanager
async def open_lattice(
    nats_url: str, state_dir: Path, contracts: Sequence[str], **config: Any
) -> AsyncIterator[ExampleLattice]:
    """A host on a fresh lattice prefix with the bundled providers for ``contracts`` started through ctl."""
    prefix = "ex" + secrets.token_hex(5)
    nc = await connect(NatsOptions(url=nats_url, name=f"examples {prefix}"), drain_timeout=DRAIN_TIMEOUT_S)
    try:
        async with (
            EventLog(nc, prefix) as events,
            Host(host_config(nats_url, prefix, state_dir, **config)) as host,
            ControlClient(nc, prefix) as ctl,
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT_S)) as http,
        ):
            lattice = ExampleLattice(prefix, host, nc, ctl, events, http)
            for contract_id in contracts:
                await lattice.start_provider(contract_id)
            yield lattice
    finally:
        if not nc.is_closed:
            await nc.drain()


def provider_pid(module: str) -> int:
    """The pid of this process's child running ``python -m <module>`` (a provider the in-process host started)."""
    me = os.getpid()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == me and b"-m" in argv and module.encode() in argv:
            found.append(int(entry.name))
    assert len(found) == 1, f"expected one {module} child process, found {found}"
    return found[0]


def sigkill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
