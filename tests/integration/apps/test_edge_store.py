"""The app store of a host on a leaf node: its writes (manifests, failure records, the lease with compare-and-set)
reach the hub's ``LATTICEAPPS_{lattice}`` bucket through the hub's JetStream domain."""

from __future__ import annotations

from lattice.app.store import AppFailures, AppStore
from lattice.natsconn import NatsOptions, connect
from lattice.natsserver import NatsServer
from tests.integration.oci.oci_support import wait_for_hub_domain

FIRST, SECOND = "N" + "A" * 55, "N" + "B" * 55


async def alive(host_id: str) -> bool:
    return True


async def test_an_edge_store_writes_the_hubs_apps_bucket(
    hub_and_leaf: tuple[NatsServer, NatsServer], lattice_prefix: str
) -> None:
    hub, leaf = hub_and_leaf
    hub_nc = await connect(NatsOptions(url=hub.url))
    edge_nc = await connect(NatsOptions(url=leaf.url))
    try:
        await wait_for_hub_domain(edge_nc)
        edge = AppStore(edge_nc, lattice_prefix, js_domain="hub")
        at_hub = AppStore(hub_nc, lattice_prefix)

        assert await edge.put("demo", {"manifest": {"metadata": {"name": "demo"}}}) > 0
        stored = await at_hub.get("demo")
        assert stored is not None
        assert stored.document["manifest"]["metadata"]["name"] == "demo"

        await edge.put_failures("demo", AppFailures({"echo": "start failed"}))
        assert (await at_hub.failures("demo")).components == {"echo": "start failed"}

        # the lease: taken from the edge, seen at the hub, refused to a live other holder, released, taken again
        assert await edge.acquire_lease(FIRST, ttl_s=60)
        assert await at_hub.lease_holder() == FIRST
        assert not await at_hub.acquire_lease(SECOND, ttl_s=60, is_alive=alive)
        assert await edge.acquire_lease(FIRST, ttl_s=60), "the holder renews it (compare-and-set on its revision)"
        assert await edge.release_lease(FIRST)
        assert await at_hub.lease_holder() is None
        assert await edge.acquire_lease(SECOND, ttl_s=60), "taken again after a release (over the delete marker)"
        assert await at_hub.lease_holder() == SECOND

        assert await edge.delete("demo")
        assert await at_hub.get("demo") is None
        assert (await at_hub.failures("demo")).components == {}
    finally:
        await edge_nc.close()
        await hub_nc.close()
