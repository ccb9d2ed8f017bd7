"""The lattice's own registry (a JetStream object store) on the real nats-server: push, pull, the shared cache,
bad input, and a host-side client on a NATS leaf node reaching the hub's JetStream domain."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nats.aio.client import Client

from lattice import subjects
from lattice.natsconn import NatsOptions, connect
from lattice.natsserver import NatsServer, NatsServerConfig
from lattice.oci import (
    ArtifactFetcher,
    ArtifactKind,
    LatticeRegistry,
    OciArtifactInvalid,
    OciDigestMismatch,
    OciLatestRefused,
    OciLimits,
    OciNotFound,
    OciRefInvalid,
    OciSettings,
    OciTooLarge,
    OciWrongMediaType,
    Source,
)
from tests.support.waiting import wait_until

LEAF_LISTEN = re.compile(r"Listening for leafnode connections on [0-9.]+:(\d+)")


@pytest.fixture
def settings(tmp_path: Path) -> OciSettings:
    return OciSettings(cache_dir=tmp_path / "cache")


async def test_push_then_pull_by_tag_and_by_digest(
    nc: Client, lattice_prefix: str, settings: OciSettings, signed_actor: bytes, tmp_path: Path
) -> None:
    pushed = await LatticeRegistry(nc, lattice_prefix, settings).push("lattice://echo:0.1.0", signed_actor)
    assert (pushed.kind, pushed.uploaded, pushed.size) == (ArtifactKind.ACTOR, True, len(signed_actor))
    other = LatticeRegistry(nc, lattice_prefix, dataclasses.replace(settings, cache_dir=tmp_path / "host-b"))
    cold = await other.pull("lattice://echo:0.1.0", ArtifactKind.ACTOR)
    assert (cold.data, cold.cached, cold.source, cold.digest) == (signed_actor, False, Source.LATTICE, pushed.digest)
    before = other.requests
    warm = await other.pull("lattice://echo:0.1.0", ArtifactKind.ACTOR)
    assert (warm.cached, other.requests - before) == (True, 2)  # open the bucket, read the tag record
    before = other.requests
    pinned = await other.pull(f"lattice://echo@{pushed.digest}", ArtifactKind.ACTOR)
    assert (pinned.data, pinned.cached, other.requests - before) == (signed_actor, True, 0)


async def test_pinned_pull_from_cache_needs_no_nats(
    nats_url: str, lattice_prefix: str, settings: OciSettings, signed_actor: bytes
) -> None:
    client = await connect(NatsOptions(url=nats_url))
    pushed = await LatticeRegistry(client, lattice_prefix, settings).push("lattice://echo:1.0.0", signed_actor)
    await client.close()
    pulled = await LatticeRegistry(client, lattice_prefix, settings).pull(f"lattice://echo@{pushed.digest}")
    assert (pulled.data, pulled.cached) == (signed_actor, True)


async def test_same_bytes_are_stored_once(
    nc: Client, lattice_prefix: str, settings: OciSettings, signed_par: bytes
) -> None:
    registry = LatticeRegistry(nc, lattice_prefix, settings)
    first = await registry.push("lattice://kv:1.0.0", signed_par)
    second = await registry.push("lattice://kv:1.0.1", signed_par)
    assert (first.uploaded, second.uploaded, first.kind) == (True, False, ArtifactKind.PROVIDER)
    store = await nc.jetstream().object_store(subjects.registry_bucket(lattice_prefix))
    names = sorted(info.name for info in await store.list())
    assert names == [subjects.registry_blob_object(first.digest), "tags/kv:1.0.0", "tags/kv:1.0.1"]


async def test_fetcher_routes_lattice_refs(
    nc: Client, lattice_prefix: str, settings: OciSettings, signed_actor: bytes
) -> None:
    async with ArtifactFetcher(settings, nc=nc, lattice=lattice_prefix) as fetcher:
        await fetcher.push("lattice://team/echo:2.0.0", signed_actor)
        pulled = await fetcher.pull("lattice://team/echo:2.0.0")
    assert (pulled.data, fetcher.http_requests) == (signed_actor, 0)


async def test_bad_input(
    nc: Client, lattice_prefix: str, settings: OciSettings, signed_actor: bytes, signed_par: bytes
) -> None:
    registry = LatticeRegistry(nc, lattice_prefix, settings)
    with pytest.raises(OciNotFound, match="is empty"):
        await registry.pull("lattice://echo:1.0.0")
    await registry.push("lattice://echo:1.0.0", signed_actor)
    await registry.push("lattice://kv:1.0.0", signed_par)
    assert settings.cache_dir is not None
    cached_before = sorted(settings.cache_dir.rglob("*"))
    cases = [
        ("lattice://echo:9.9.9", OciNotFound, "no such repository or tag"),
        ("lattice://echo:latest", OciLatestRefused, "WASMCLOUD_OCI_ALLOW_LATEST"),
        ("lattice://echo", OciLatestRefused, "WASMCLOUD_OCI_ALLOW_LATEST"),
        ("lattice://Echo:1.0.0", OciRefInvalid, "not valid"),
        ("lattice://echo@sha512:abc", OciRefInvalid, "not supported"),
        ("lattice://kv:1.0.0", OciWrongMediaType, "not an actor"),
    ]
    for ref, error, text in cases:
        with pytest.raises(error) as caught:
            await LatticeRegistry(nc, lattice_prefix, dataclasses.replace(settings, cache_dir=None)).pull(
                ref, ArtifactKind.ACTOR
            )
        assert str(caught.value).startswith(ref)
        assert text in str(caught.value)
    small = dataclasses.replace(settings, cache_dir=None, limits=OciLimits(max_blob_bytes=1000))
    with pytest.raises(OciTooLarge):
        await LatticeRegistry(nc, lattice_prefix, small).pull("lattice://echo:1.0.0")
    with pytest.raises(OciArtifactInvalid):
        await registry.push("lattice://junk:1.0.0", b"\x00asm\x01\x00\x00\x00")
    assert sorted(settings.cache_dir.rglob("*")) == cached_before


async def test_stored_bytes_that_do_not_match_their_digest(
    nc: Client, lattice_prefix: str, settings: OciSettings, signed_actor: bytes
) -> None:
    pushed = await LatticeRegistry(nc, lattice_prefix, dataclasses.replace(settings, cache_dir=None)).push(
        "lattice://echo:1.0.0", signed_actor
    )
    store = await nc.jetstream().object_store(subjects.registry_bucket(lattice_prefix))
    await store.put(subjects.registry_blob_object(pushed.digest), signed_actor[:-1] + b"\x00")
    with pytest.raises(OciDigestMismatch, match="refused"):
        await LatticeRegistry(nc, lattice_prefix, settings).pull("lattice://echo:1.0.0")
    assert settings.cache_dir is not None
    assert not any(p.is_file() for p in settings.cache_dir.rglob("*"))


# -- a host on a leaf node ----------------------------------------------------------------------------------------


@pytest.fixture
async def hub_and_leaf(tmp_path: Path) -> AsyncIterator[tuple[NatsServer, NatsServer]]:
    """A hub with JetStream domain ``hub`` and a leaf node with its own domain ``edge``, on random ports."""
    hub_conf = tmp_path / "hub.conf"
    hub_conf.write_text('jetstream { domain: hub }\nleafnodes { listen: "127.0.0.1:-1" }\n', encoding="utf-8")
    hub = NatsServer(NatsServerConfig(store_dir=tmp_path / "hub", config_file=hub_conf, server_name="hub"))
    with hub:
        found = LEAF_LISTEN.search(hub.log_path.read_text(encoding="utf-8"))
        assert found is not None, "the hub did not say where it listens for leaf nodes"
        leaf_conf = tmp_path / "leaf.conf"
        leaf_conf.write_text(
            "jetstream { domain: edge }\n"
            + f'leafnodes {{ remotes: [ {{ url: "nats-leaf://127.0.0.1:{found.group(1)}" }} ] }}\n',
            encoding="utf-8",
        )
        leaf = NatsServer(NatsServerConfig(store_dir=tmp_path / "leaf", config_file=leaf_conf, server_name="leaf"))
        with leaf:
            yield hub, leaf


async def _wait_for_hub_domain(client: Client, timeout_s: float = 10.0) -> None:
    js = client.jetstream(domain="hub")

    async def reachable() -> bool:
        await js.account_info()
        return True

    await wait_until(
        reachable, timeout_s, "the hub's JetStream domain to answer through the leaf", retry_on=(Exception,)
    )


async def test_edge_host_on_a_leaf_node_pulls_from_the_hub_registry(
    hub_and_leaf: tuple[NatsServer, NatsServer], lattice_prefix: str, signed_actor: bytes, tmp_path: Path
) -> None:
    hub, leaf = hub_and_leaf
    hub_nc = await connect(NatsOptions(url=hub.url))
    edge_nc = await connect(NatsOptions(url=leaf.url))
    try:
        await _wait_for_hub_domain(edge_nc)
        pushed = await LatticeRegistry(hub_nc, lattice_prefix, js_domain="hub").push(
            "lattice://echo:0.5.0", signed_actor
        )
        edge = LatticeRegistry(edge_nc, lattice_prefix, OciSettings(cache_dir=tmp_path / "edge"), js_domain="hub")
        pulled = await edge.pull("lattice://echo:0.5.0", ArtifactKind.ACTOR)
        assert (pulled.data, pulled.digest) == (signed_actor, pushed.digest)
        # the edge's own domain has no registry: the domain is what makes it work
        with pytest.raises(OciNotFound, match="is empty"):
            await LatticeRegistry(edge_nc, lattice_prefix, js_domain="edge").pull("lattice://echo:0.5.0")
        # and an edge can push to the hub too
        await edge.push("lattice://from-edge:1.0.0", signed_actor)
        hub_side = LatticeRegistry(hub_nc, lattice_prefix, js_domain="hub")
        assert (await hub_side.pull("lattice://from-edge:1.0.0")).data == signed_actor
    finally:
        await edge_nc.close()
        await hub_nc.close()
