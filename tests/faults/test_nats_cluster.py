"""A 3-node NATS cluster losing one node under load: the host and its provider fail over, the lattice state
(links, claims) is intact, and calls succeed again within a bounded time.

The host creates the lattice and apps buckets with three replicas (``WASMLATTICE_JS_REPLICAS=3``); the keyvalue provider
creates its bucket with three replicas too (link value ``REPLICAS=3``).
Host and provider are given node 0's URL only and find the other nodes through cluster discovery; node 0 is the
one SIGKILLed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path
from typing import Any

import nats.errors
import nats.js.errors
import pytest
from nats.js.api import KeyValueConfig, StorageType

from host.config import HostConfig
from host.host import Host
from lattice import keys, subjects
from lattice.control.client import ControlClient
from lattice.natsserver import NatsServer
from lattice.wire import LinkDefinition
from tests.support.faults_support import (
    KEYVALUE,
    KEYVALUE_REF,
    KVCOUNTER_ID,
    KVCOUNTER_REF,
    PONGER_ID,
    PONGER_REF,
    Load,
    caller,
    client,
    cluster_servers,
    count_visit,
    eventually,
    ping,
)

REPLICAS = 3
RPC_TIMEOUT_MS = 1000
SETUP_TIMEOUT_S = 30.0
RECOVERY_BOUND_S = 20.0
WORKERS = 4
LOAD_BEFORE_S = 1.0
PATH = "/cluster"
KEY = "counter=3A/cluster"  # the provider's KV escaping of "counter:/cluster"


async def _jetstream_ready(js: Any, bucket: str) -> None:
    """Wait until the cluster can create a replicated bucket (its JetStream meta group has formed), then drop it."""
    config = KeyValueConfig(bucket=bucket, history=1, storage=StorageType.FILE, replicas=REPLICAS)

    async def created() -> bool:
        try:
            await js.create_key_value(config)
        except Exception:  # no meta leader yet, or not enough peers known
            return False
        return True

    await eventually(created, SETUP_TIMEOUT_S, f"a bucket with {REPLICAS} replicas")
    await js.delete_key_value(bucket)


@contextlib.asynccontextmanager
async def _cluster(base: Path) -> Any:
    servers = cluster_servers(base, REPLICAS)
    try:
        await asyncio.gather(*(s.start_async() for s in servers))
        yield servers
    finally:
        await asyncio.gather(*(s.stop_async() for s in servers))


def _sigkill(server: NatsServer) -> None:
    os.kill(server.pid, signal.SIGKILL)
    server.stop()  # reaps it


@pytest.mark.slow
async def test_host_and_provider_survive_losing_a_cluster_node(
    lattice_prefix: str, cluster_key: keys.KeyPair, tmp_path: Path
) -> None:
    async with _cluster(tmp_path / "nats") as servers:
        doomed, steady = servers[0], servers[1]
        nc = await client(steady.url, "cluster test")
        js = nc.jetstream()
        bucket = f"c_{lattice_prefix}"
        await _jetstream_ready(js, f"ready_{lattice_prefix}")
        config = HostConfig(
            lattice=lattice_prefix,
            cluster_seed=cluster_key.seed,
            allow_file_load=True,
            state_dir=tmp_path / "host",
            js_replicas=REPLICAS,  # the host makes the lattice bucket with three replicas itself
        ).with_nats_url(doomed.url)
        rpc = caller(nc, lattice_prefix, cluster_key, RPC_TIMEOUT_MS)
        async with Host(config) as host, ControlClient(nc, lattice_prefix) as ctl:
            info = await js.stream_info(f"KV_{subjects.lattice_bucket(lattice_prefix)}")
            assert info.config.num_replicas == REPLICAS
            apps = f"KV_{subjects.apps_bucket(lattice_prefix)}"
            await eventually(lambda: _exists(js, apps), SETUP_TIMEOUT_S, "the apps bucket (the reconciler opens it)")
            assert (await js.stream_info(apps)).config.num_replicas == REPLICAS, "the apps bucket is replicated too"
            await host.commands.launch_actor(PONGER_REF, 1, {})
            await host.commands.launch_actor(KVCOUNTER_REF, 1, {})
            await host.commands.launch_provider(KEYVALUE_REF, "default", None, {})
            await eventually(lambda: _one_provider(host), SETUP_TIMEOUT_S, "the keyvalue provider")
            provider_id = host.commands.providers()[0].id
            values = {"BUCKET": bucket, "REPLICAS": str(REPLICAS)}
            link = LinkDefinition(KVCOUNTER_ID, provider_id, KEYVALUE, "default", values)
            await host.commands.put_link(link)
            await eventually(lambda: ping(rpc), SETUP_TIMEOUT_S, "ponger")
            await eventually(lambda: _counts(rpc), SETUP_TIMEOUT_S, "kvcounter")
            kv_info = await js.stream_info(f"KV_{bucket}")
            assert kv_info.config.num_replicas == REPLICAS, "the provider made its bucket with REPLICAS=3"
            claims_before = {c["sub"] for c in await ctl.get_claims()}

            pings = Load(lambda: ping(rpc), WORKERS)
            counts = Load(lambda: count_visit(rpc, PATH), WORKERS)
            pings.start()
            counts.start()
            await asyncio.sleep(LOAD_BEFORE_S)
            killed_at = time.monotonic()
            _sigkill(doomed)
            actor_s = await eventually(lambda: _ok_after(pings, killed_at), RECOVERY_BOUND_S, "ponger again")
            kv_s = await eventually(lambda: _ok_after(counts, killed_at), RECOVERY_BOUND_S, "kvcounter again")
            ctl_s = await eventually(lambda: _host_answers(ctl, host.host_id), RECOVERY_BOUND_S, "ctl ping")
            extra = LinkDefinition(PONGER_ID, provider_id, KEYVALUE, "watch", {})
            lattice_bucket = subjects.lattice_bucket(lattice_prefix)
            put_s = await eventually(lambda: _put(js, lattice_bucket, extra), RECOVERY_BOUND_S, "a bucket write")
            watch_s = await eventually(lambda: _knows(host, extra), RECOVERY_BOUND_S, "the bucket watch")
            ping_outcomes, count_outcomes = await pings.stop(), await counts.stop()
            links = {ld.id for ld in await ctl.get_links()}
            claims_after = {c["sub"] for c in await ctl.get_claims()}
        counters = await js.key_value(bucket)
        final = int((await counters.get(KEY)).value)
        await nc.close()

    acked = [o.result for o in count_outcomes if o.ok]
    assert max(acked) <= final
    assert len(acked) <= final <= len(count_outcomes)
    assert link.id in links
    assert extra.id in links
    assert {PONGER_ID, KVCOUNTER_ID, provider_id} <= claims_before == claims_after
    assert len(set(acked)) == len(acked), "two callers were acknowledged the same count"
    assert all(o.kind in ("RemoteError", "RpcTimeout") for o in ping_outcomes + count_outcomes if not o.ok)
    failed = sum(not o.ok for o in ping_outcomes), sum(not o.ok for o in count_outcomes)
    print(
        f"\nnode loss: ponger back after {actor_s:.2f}s, kvcounter after {kv_s:.2f}s, ctl {ctl_s:.2f}s, "
        f"bucket write +{put_s:.2f}s, bucket watch +{watch_s:.2f}s; "
        f"failed calls: ponger {failed[0]}/{len(ping_outcomes)}, kvcounter {failed[1]}/{len(count_outcomes)}; "
        f"final count {final}, {len(acked)} acknowledged"
    )


async def _put(js: Any, bucket: str, link: LinkDefinition) -> bool:
    """Write a link straight into the lattice bucket (as ctl clients 0.2x do); False while its stream fails over."""
    try:
        kv = await js.key_value(bucket)
        await kv.put(subjects.linkdef_key(link.id), link.encode_json())
    except nats.errors.Error:
        return False
    return True


async def _exists(js: Any, stream: str) -> bool:
    try:
        await js.stream_info(stream)
    except nats.js.errors.NotFoundError:
        return False
    return True


async def _one_provider(host: Host) -> bool:
    return len(host.commands.providers()) == 1


async def _counts(rpc: Any) -> bool:
    return await count_visit(rpc, "/warmup") >= 1


async def _ok_after(load: Load, t: float) -> bool:
    return load.first_success_after(t) is not None


async def _host_answers(ctl: ControlClient, host_id: str) -> bool:
    return any(h.id == host_id for h in await ctl.ping_hosts(timeout_s=0.3))


async def _knows(host: Host, link: LinkDefinition) -> bool:
    return any(known.id == link.id for known in host.commands.links())
