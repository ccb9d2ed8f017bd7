"""The locked-down lattice the security table attacks: one real host, the real httpserver and keyvalue providers,
and example actors (committed ones and re-signed variants), wired by links. Built once per module.

Actors (``SecureLattice.actors`` / ``.ports``):

- ``echo``: the committed example, linked to httpserver — the "still serves" probe;
- ``kvcounter``: the committed example, linked to httpserver only (its keyvalue call has no link);
- ``kvgood``: kvcounter's code re-signed by the test account with both caps, linked to both providers;
- ``kv_noclaim``: kvcounter's code re-signed *without* ``wasmcloud:keyvalue``, linked to both providers;
- ``echo_noclaim``: echo's code re-signed *without* ``wasmcloud:httpserver``, linked to httpserver.

The host trusts one cluster key and allows two actor issuers (the example account and the test account).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from host.config import HostConfig
from host.host import Host
from lattice import keys
from lattice.control import ControlClient, ControlTimeouts
from lattice.control.events import matching
from lattice.natsconn import NatsOptions, connect
from lattice.wire import LinkDefinition
from tests.security.security_support import (
    EXAMPLE_ACCOUNT,
    HTTPSERVER,
    HTTPSERVER_REF,
    KEYVALUE,
    KEYVALUE_REF,
    SecureLattice,
    example_wasm,
    http_get,
    resign,
    wait_http,
)
from tests.support.ports import free_port
from tests.support.waiting import wait_until

PROVIDER_START_S = 60.0
ACTOR_START_S = 15.0
DRAIN_TIMEOUT_S = 5
GATHER_S = 0.25  # one local host answers a ping within milliseconds


async def _start_providers(lat: SecureLattice) -> None:
    async with lat.ctl.watch_events() as events:
        for ref in (HTTPSERVER_REF, KEYVALUE_REF):
            await lat.ctl.start_provider(lat.host_id, ref)
        for _ in range(2):
            started = await events.wait_for(matching("provider_started"), PROVIDER_START_S, "provider_started")
            lat.providers[str(started.data["contract_id"])] = str(started.data["public_key"])


async def _start_actors(lat: SecureLattice) -> None:
    modules = {
        "echo": example_wasm("echo"),
        "kvcounter": example_wasm("kvcounter"),
    }
    for name, source, caps in (
        ("kvgood", "kvcounter", [HTTPSERVER, KEYVALUE]),
        ("kv_noclaim", "kvcounter", [HTTPSERVER]),
        ("echo_noclaim", "echo", []),
    ):
        modules[name], _ = resign(source, lat.account, caps)
    async with lat.ctl.watch_events() as events:
        for name, wasm in modules.items():
            await lat.ctl.start_actor(lat.host_id, lat.module_file(wasm, name))
            started = await events.wait_for(matching("actors_started"), ACTOR_START_S, f"{name} started")
            lat.actors[name] = str(started.data["public_key"])


async def _link(lat: SecureLattice, bucket: str) -> None:
    http_actors = ("echo", "kvcounter", "kvgood", "kv_noclaim", "echo_noclaim")
    for name in http_actors:
        lat.ports[name] = free_port()
        values = {"port": str(lat.ports[name])}
        await lat.ctl.put_link(
            LinkDefinition(lat.actors[name], lat.providers[HTTPSERVER], HTTPSERVER, "default", values)
        )
    for name in ("kvgood", "kv_noclaim"):
        link = LinkDefinition(lat.actors[name], lat.providers[KEYVALUE], KEYVALUE, "default", {"BUCKET": bucket})
        await lat.ctl.put_link(link)
    await asyncio.gather(*(wait_http(lat.ports[name]) for name in http_actors))
    # kvgood counts only once the keyvalue provider has applied its link

    async def counts() -> bool:
        return (await http_get(lat.ports["kvgood"], "/warmup")).status == 200

    await wait_until(counts, PROVIDER_START_S, "kvgood to count through the keyvalue provider", poll_s=0.05)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def secure_lattice(nats_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[SecureLattice]:
    tmp = tmp_path_factory.mktemp("secure-lattice")
    lattice = f"sec{keys.KeyPair.create(keys.KeyType.SERVER).public_key[1:11].lower()}"
    cluster = keys.KeyPair.create(keys.KeyType.CLUSTER)
    account = keys.KeyPair.create(keys.KeyType.ACCOUNT)
    config = HostConfig(
        lattice=lattice,
        cluster_seed=cluster.seed,
        allow_file_load=True,
        actor_issuers=(EXAMPLE_ACCOUNT, account.public_key),
        state_dir=tmp / "host",
        rpc_timeout_ms=1500,
    ).with_nats_url(nats_url)
    nc = await connect(NatsOptions(url=nats_url, name="security table"), drain_timeout=DRAIN_TIMEOUT_S)
    try:
        async with Host(config) as host:
            ctl = ControlClient(nc, lattice, timeouts=ControlTimeouts(gather_s=GATHER_S))
            lat = SecureLattice(host, nc, ctl, lattice, cluster, account, tmp)
            await _start_providers(lat)
            await _start_actors(lat)
            await _link(lat, f"kv_{lattice}")
            yield lat
    finally:
        await nc.drain()
