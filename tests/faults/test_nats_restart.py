"""The single nats-server stopped and started again (same port, same store): the host, its actors, its control
interface, its lattice-bucket watch and its provider all serve again, within a bounded time.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from host.config import HostConfig
from host.host import Host
from lattice import keys, subjects
from lattice.control.client import ControlClient
from lattice.natsconn import NatsOptions
from lattice.natsserver import NatsServer, NatsServerConfig
from lattice.wire import LinkDefinition
from tests.support.faults_support import (
    KEYVALUE,
    KEYVALUE_REF,
    KVCOUNTER_ID,
    KVCOUNTER_REF,
    PONGER_ID,
    PONGER_REF,
    caller,
    client,
    count_visit,
    eventually,
    ping,
)
from tests.support.ports import free_ports

RPC_TIMEOUT_MS = 1000
SETUP_TIMEOUT_S = 30.0
RECOVERY_BOUND_S = 15.0


@pytest.mark.slow
async def test_everything_serves_again_after_nats_restarts(
    lattice_prefix: str, cluster_key: keys.KeyPair, tmp_path: Path
) -> None:
    (port,) = free_ports(1)
    nats_config = NatsServerConfig(store_dir=tmp_path / "nats", port=port, server_name="faults-restart")
    server = NatsServer(nats_config)
    await server.start_async()
    try:
        config = HostConfig(
            lattice=lattice_prefix, cluster_seed=cluster_key.seed, allow_file_load=True, state_dir=tmp_path / "host"
        ).with_nats_url(server.url)
        nc = await client(server.url, "restart test")
        rpc = caller(nc, lattice_prefix, cluster_key, RPC_TIMEOUT_MS)
        async with Host(config) as host, ControlClient(NatsOptions(url=server.url), lattice_prefix) as ctl:
            await host.commands.launch_actor(PONGER_REF, 1, {})
            await host.commands.launch_actor(KVCOUNTER_REF, 1, {})
            await host.commands.launch_provider(KEYVALUE_REF, "default", None, {})
            await eventually(lambda: _one_provider(host), SETUP_TIMEOUT_S, "the keyvalue provider")
            provider_id = host.commands.providers()[0].id
            link = LinkDefinition(KVCOUNTER_ID, provider_id, KEYVALUE, "default", {"BUCKET": f"r_{lattice_prefix}"})
            await host.commands.put_link(link)
            await eventually(lambda: ping(rpc), SETUP_TIMEOUT_S, "ponger")
            await eventually(lambda: _counts(rpc, 1), SETUP_TIMEOUT_S, "kvcounter")

            await server.stop_async()
            server = NatsServer(nats_config)
            await server.start_async()
            restarted = time.monotonic()
            actor_s = await eventually(lambda: ping(rpc), RECOVERY_BOUND_S, "ponger after the restart")
            ctl_s = await eventually(lambda: _host_answers(ctl, host.host_id), RECOVERY_BOUND_S, "ctl ping")
            provider_s = await eventually(lambda: _counts(rpc, 2), RECOVERY_BOUND_S, "kvcounter through the provider")
            # A link written straight into the lattice bucket (as ctl clients 0.2x do) reaches the host's cache:
            # the bucket watch survived the restart.
            extra = LinkDefinition(PONGER_ID, provider_id, KEYVALUE, "watch", {})
            kv = await nc.jetstream().key_value(subjects.lattice_bucket(lattice_prefix))
            await kv.put(subjects.linkdef_key(extra.id), extra.encode_json())
            watch_s = await eventually(lambda: _knows(host, extra), RECOVERY_BOUND_S, "the bucket watch")
            total = time.monotonic() - restarted
        await nc.close()
    finally:
        await server.stop_async()
    print(
        f"\nNATS restart: actor call {actor_s:.2f}s, ctl {ctl_s:.2f}s, provider +{provider_s:.2f}s, "
        f"bucket watch +{watch_s:.2f}s; all back {total:.2f}s after the server was ready"
    )


async def _one_provider(host: Host) -> bool:
    return len(host.commands.providers()) == 1


async def _counts(rpc: Any, at_least: int) -> bool:
    return await count_visit(rpc, "/restart") >= at_least


async def _host_answers(ctl: ControlClient, host_id: str) -> bool:
    return any(h.id == host_id for h in await ctl.ping_hosts(timeout_s=0.3))


async def _knows(host: Host, link: LinkDefinition) -> bool:
    return any(known.id == link.id for known in host.commands.links())
