"""The keyvalue provider linked while JetStream does not answer keeps the link: calls fail naming the bucket as
unavailable, and once JetStream answers the same link works, with no new link put.

Found by the chaos run: a keyvalue provider restarted (by its host) while its bucket's stream was electing a leader
after a NATS node loss refused the link ("bucket … is unavailable: nats: timeout") and answered "unlinked actor"
from then on — half of kvcounter's requests failed, with two instances in the queue group, until something put the
link again. Here JetStream is away for longer (the server runs without it, then comes back with it on the same
port), which makes the case deterministic.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lattice.interfaces import IncrementRequest
from lattice.natsserver import NatsServer, NatsServerConfig
from lattice.provider.claims import module_claims
from lattice.rpc import RemoteError
from lattice.wire import LinkDefinition, WasmCloudEntity, unpack
from tests.support.faults_support import client, eventually
from tests.support.ports import free_ports
from tests.support.providers_harness import ActorCaller, LatticeSpec, ProviderProcess, new_actor

MODULE = "wasmlattice_keyvalue"
CONTRACT = "wasmcloud:keyvalue"
RECOVERY_BOUND_S = 30.0


async def test_a_link_made_while_jetstream_is_away_works_once_it_answers(lattice_prefix: str, tmp_path: Path) -> None:
    port = free_ports(1)[0]
    store = tmp_path / "nats"
    server = NatsServer(NatsServerConfig(store_dir=store, port=port, jetstream=False))
    await server.start_async()
    nc = await client(server.url, "keyvalue without JetStream")
    key = module_claims(MODULE).subject
    actor, bucket = new_actor(), f"{lattice_prefix}_kv"
    spec = LatticeSpec(lattice_prefix, server.url)
    link = LinkDefinition(actor, key, CONTRACT, "default", {"BUCKET": bucket})
    proc = ProviderProcess.module(MODULE, spec.host_data(key, [link]))
    kv = ActorCaller(nc, spec, WasmCloudEntity.provider(key, CONTRACT, "default"), actor)

    async def increment() -> int:
        return int(unpack(await kv.call("KeyValue.Increment", IncrementRequest("n", 1).encode())))

    try:
        await proc.start()
        await proc.wait_ready(nc)
        health = await proc.health(nc)
        assert "refused" not in (health.message or ""), health.message
        with pytest.raises(RemoteError, match=f"bucket {bucket} is unavailable"):
            await increment()

        await server.stop_async()
        server = NatsServer(NatsServerConfig(store_dir=store, port=port))  # the same port, JetStream on
        await server.start_async()
        first: list[int] = []

        async def counts() -> bool:
            try:
                first.append(await increment())
            except RemoteError:
                return False
            return True

        await eventually(counts, RECOVERY_BOUND_S, "an increment through the link made while JetStream was away")
        assert first == [1]
        assert await increment() == 2
        assert (await nc.jetstream().stream_info(f"KV_{bucket}")).state.messages == 1
    finally:
        await proc.kill()
        await nc.close()
        await server.stop_async()
