"""A whole small app on a nats-server that demands credentials (nkey seed, user JWT + seed, .creds file) or
mutual TLS: the host logs in, starts the real httpserver and keyvalue providers through ``cmd.lp`` (each logs in
with what the host hands it in HostData), runs kvcounter, links it, and HTTP requests count in JetStream KV.
The CLI gets hosts with the credentials and fails clearly without them; so does a host, and a provider the host
hands no credentials to. The providers do not inherit the host's secret environment variables.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from host.config import HostConfig
from host.host import Host
from host.providers.process import HOST_SECRET_ENV
from lattice import keys
from lattice.control import ControlClient
from lattice.control.events import matching
from lattice.natsconn import NatsConnectError, connect
from lattice.wire import LinkDefinition
from tests.security.auth_servers import SERVERS, LockedServer
from tests.security.security_support import (
    HTTPSERVER,
    HTTPSERVER_REF,
    KEYVALUE,
    KEYVALUE_REF,
    example_wasm,
    http_get,
    wait_http,
)
from tests.support.ports import free_port
from tests.support.waiting import wait_until

PROVIDER_START_S = 60.0
EVENT_TIMEOUT_S = 15.0
CLI_TIMEOUT_S = 30.0
LATTICE_CLI = Path(sys.executable).parent / "lattice"
KV_SETTLE_S = 10.0


@pytest.fixture(params=sorted(SERVERS))
def locked(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LockedServer]:
    yield from SERVERS[request.param](tmp_path / "nats")


@pytest.fixture(params=sorted(set(SERVERS) - {"mutual-tls"}))
def locked_by_credentials(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LockedServer]:
    """The servers where a client logs in with credentials (with mutual TLS every role shares one certificate)."""
    yield from SERVERS[request.param](tmp_path / "nats")


def host_config(locked: LockedServer, tmp_path: Path, **overrides: Any) -> HostConfig:
    lattice = "sec" + keys.KeyPair.create(keys.KeyType.SERVER).public_key[1:9].lower()
    base = HostConfig(
        lattice=lattice,
        cluster_seed=keys.KeyPair.create(keys.KeyType.CLUSTER).seed,
        allow_file_load=True,
        state_dir=tmp_path / "host",
    ).with_nats_url(locked.url)
    return replace(base, **{**locked.host_fields, **overrides})


async def cli(*args: str) -> tuple[int, str, str]:
    """Run the ``lattice`` CLI without blocking the event loop the host runs on."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WASMCLOUD_")}  # not the host's secrets
    proc = await asyncio.create_subprocess_exec(
        str(LATTICE_CLI), *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    async with asyncio.timeout(CLI_TIMEOUT_S):
        out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode(errors="replace").split("\0") if "=" in item)


async def start_providers(ctl: ControlClient, host_id: str) -> dict[str, str]:
    """Both providers through ``cmd.lp``; contract → public key once each reported ``provider_started``."""
    found: dict[str, str] = {}
    async with ctl.watch_events() as events:
        for ref in (HTTPSERVER_REF, KEYVALUE_REF):
            await ctl.start_provider(host_id, ref)
        while len(found) < 2:
            event = await events.wait_for(
                matching("provider_started", "provider_start_failed"), PROVIDER_START_S, "provider start"
            )
            assert event.name == "provider_started", event.data
            found[str(event.data["contract_id"])] = str(event.data["public_key"])
    return found


async def count(port: int) -> str:
    """kvcounter's answer once the keyvalue provider has applied the link."""

    async def counted() -> str | None:
        reply = await http_get(port, "/visits")
        return reply.body if reply.status == 200 else None

    body: str = await wait_until(counted, KV_SETTLE_S, "kvcounter to count", poll_s=0.05)
    return body


@pytest.mark.slow
async def test_whole_app_runs_on_a_locked_down_nats(
    locked: LockedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = host_config(locked, tmp_path)
    secret = keys.KeyPair.create(keys.KeyType.USER).seed
    for name in ("WASMCLOUD_CTL_SEED", "WASMCLOUD_HOST_SEED", "WASMCLOUD_CLUSTER_SEED"):
        monkeypatch.setenv(name, secret)  # the host's environment must not reach its providers
    nc = await connect(replace(config.ctl_nats(), name="security test client"))
    try:
        async with Host(config) as host:
            ctl = ControlClient(nc, config.lattice)
            providers = await start_providers(ctl, host.host_id)
            actor_file = tmp_path / "kvcounter.wasm"
            actor_file.write_bytes(example_wasm("kvcounter"))
            async with ctl.watch_events() as events:
                await ctl.start_actor(host.host_id, f"file://{actor_file}")
                started = await events.wait_for(matching("actors_started"), EVENT_TIMEOUT_S, "kvcounter start")
            actor = str(started.data["public_key"])
            port = free_port()
            await ctl.put_link(LinkDefinition(actor, providers[HTTPSERVER], HTTPSERVER, "default", {"port": str(port)}))
            await ctl.put_link(
                LinkDefinition(actor, providers[KEYVALUE], KEYVALUE, "default", {"BUCKET": f"kv_{config.lattice}"})
            )
            await wait_http(port)
            assert await count(port) == '{"counter":1}'
            assert await count(port) == '{"counter":2}'

            pid = host.parts.providers.process_id(providers[KEYVALUE], "default")
            assert pid is not None
            leaked = HOST_SECRET_ENV & environ_of(pid).keys()
            assert leaked == set()

            code, out, err = await cli(
                "ctl",
                "get",
                "hosts",
                "--nats-url",
                locked.url,
                "--lattice",
                config.lattice,
                "--json",
                *locked.cli_flags,
            )
            assert code == 0, err
            assert host.host_id in out

            bare = [f for f in locked.cli_flags if not f.startswith("--tls-c") and not f.startswith("--tls-k")]
            without = ["--tls-ca", bare[bare.index("--tls-ca") + 1]] if "--tls-ca" in bare else []
            code, out, err = await cli(
                "ctl", "get", "hosts", "--nats-url", locked.url, "--lattice", config.lattice, *without
            )
            assert code != 0
            assert locked.refusal in err
            assert "Traceback" not in err
    finally:
        await nc.drain()


async def test_host_without_credentials_is_refused_clearly(locked: LockedServer, tmp_path: Path) -> None:
    config = host_config(locked, tmp_path)
    anonymous = {name: None for name in locked.host_fields if name.endswith(("_seed", "_jwt", "_credsfile"))}
    anonymous |= {name: None for name in ("tls_cert_file", "tls_key_file") if name in locked.host_fields}
    with pytest.raises(NatsConnectError) as refused:
        async with Host(replace(config, **anonymous)):
            pass
    assert locked.refusal in str(refused.value)


async def test_provider_without_credentials_fails_to_start_clearly(
    locked_by_credentials: LockedServer, tmp_path: Path
) -> None:
    """The host itself logs in, but tells its providers nothing: the provider's start fails, saying why."""
    locked = locked_by_credentials
    config = host_config(locked, tmp_path)
    config = replace(config, **{name: None for name in locked.host_fields if name.startswith("prov_rpc_")})
    nc = await connect(replace(config.ctl_nats(), name="security test client"))
    try:
        async with Host(config) as host:
            ctl = ControlClient(nc, config.lattice)
            async with ctl.watch_events() as events:
                await ctl.start_provider(host.host_id, KEYVALUE_REF)
                event = await events.wait_for(
                    matching("provider_started", "provider_start_failed"), PROVIDER_START_S, "provider start"
                )
            assert event.name == "provider_start_failed"
            assert locked.refusal in str(event.data["error"])
            assert host.commands.providers() == []
    finally:
        await nc.drain()
