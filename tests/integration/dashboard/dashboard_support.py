"""A real lattice for the dashboard tests: a host *process* (``python -m host``) on a fresh lattice prefix with a
hostile label, the echo actor, a copy of it signed with a hostile name, the httpserver provider, and the
dashboard served in this process. Browser helpers: Debian's Chromium driven by Playwright (no ``playwright
install``), launched with a fresh user-data dir."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lattice import keys
from lattice.claims import ActorSpec, read_claims, sign_module
from lattice.claims.wasm import strip_tokens
from lattice.control import ControlClient
from lattice.dashboard.server import Dashboard
from lattice.natsconn import NatsOptions, connect
from lattice.observe.listen import ListenAddress
from tests.integration.examples.examples_support import EXAMPLES, PROVIDER_REFS
from tests.integration.host.hostcore_support import EventLog
from tests.support.waiting import wait_until

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
HOSTILE_LABEL = '<script>window.__pwned = "label"</script><img src=x onerror="window.__pwned=1">'
HOSTILE_NAME = '<script>window.__pwned = "name"</script>echo&amp;'
HOST_START_S = 60.0
DRAIN_S = 5


def require_chromium() -> None:
    """Skip, saying why, where the browser or its driver is missing."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: `make test` installs Debian's chromium where apt runs as root")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        pytest.skip("playwright is not installed (a dev dependency: make venv)")


@dataclass
class LiveLattice:
    prefix: str
    host_id: str
    ctl: ControlClient
    events: EventLog
    dashboard: Dashboard
    echo: str
    hostile: str
    httpserver: str
    tmp: Path


def hostile_copy(tmp: Path) -> Path:
    """The echo actor re-signed under a new key with a hostile name."""
    module = strip_tokens((EXAMPLES / "echo" / "echo.wasm").read_bytes())
    signed, _ = sign_module(
        module, ActorSpec(HOSTILE_NAME, caps=("wasmcloud:httpserver",)), keys.KeyPair.create(keys.KeyType.ACCOUNT)
    )
    path = tmp / "hostile.wasm"
    path.write_bytes(signed)
    return path


async def _host_process(nats_url: str, prefix: str, cluster: keys.KeyPair, tmp: Path) -> Any:
    env = {**os.environ, "WASMLATTICE_STATE_DIR": str(tmp / "state"), "WASMLATTICE_KEYS_DIR": str(tmp / "keys")}
    argv = ["-m", "host", "--nats-url", nats_url, "--lattice", prefix, "--allow-file-load", "--cluster-seed",
            cluster.seed, "--state-dir", str(tmp / "host"), "--label", f"note={HOSTILE_LABEL}"]  # fmt: skip
    with (tmp / "host.log").open("wb") as log:
        return await asyncio.create_subprocess_exec(sys.executable, *argv, env=env, stdout=log, stderr=log)


async def _first_host(ctl: ControlClient) -> str:
    hosts = await wait_until(ctl.ping_hosts, HOST_START_S, "the host process to answer a ping")
    return str(hosts[0].id)


@contextlib.asynccontextmanager
async def live_lattice(nats_url: str, tmp: Path) -> AsyncIterator[LiveLattice]:
    prefix = "db" + secrets.token_hex(5)
    cluster = keys.KeyPair.create(keys.KeyType.CLUSTER)
    host = await _host_process(nats_url, prefix, cluster, tmp)
    nc = await connect(NatsOptions(url=nats_url, name=f"dashboard test {prefix}"), drain_timeout=DRAIN_S)
    try:
        async with EventLog(nc, prefix) as events, ControlClient(nc, prefix) as ctl:
            host_id = await _first_host(ctl)
            echo_path, hostile_path = EXAMPLES / "echo" / "echo.wasm", hostile_copy(tmp)
            ids = []
            for path in (echo_path, hostile_path):
                ids.append(read_claims(path.read_bytes()).subject)
                await ctl.start_actor(host_id, f"file://{path}")
                await events.wait_for("actors_started", public_key=ids[-1])
            await ctl.start_provider(host_id, PROVIDER_REFS["wasmcloud:httpserver"], "default")
            started = await events.wait_for("provider_started", 1, HOST_START_S, contract_id="wasmcloud:httpserver")
            dashboard = Dashboard(ctl, ListenAddress("127.0.0.1", 0))
            await dashboard.start()
            try:
                yield LiveLattice(prefix, host_id, ctl, events, dashboard, ids[0], ids[1],
                                  started[-1]["data"]["public_key"], tmp)  # fmt: skip
            finally:
                await dashboard.stop()
                with contextlib.suppress(Exception):
                    await ctl.stop_host(host_id)
    finally:
        with contextlib.suppress(ProcessLookupError):
            host.terminate()
        try:
            async with asyncio.timeout(HOST_START_S):
                await host.wait()
        except TimeoutError:
            host.kill()
            await host.wait()
        if not nc.is_closed:
            await nc.drain()
