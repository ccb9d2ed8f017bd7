"""The reconciler lease: released on a clean stop, taken over at once from a holder that no longer answers."""

from __future__ import annotations

from nats.aio.client import Client

from lattice.app.reconcile import Reconciler
from lattice.app.store import AppStore
from tests.support.waiting import wait_until

FIRST, SECOND = "N" + "A" * 55, "N" + "B" * 55
WAIT_S = 10.0


async def test_a_clean_stop_releases_the_lease(nc: Client, lattice_prefix: str) -> None:
    store = AppStore(nc, lattice_prefix)
    first = Reconciler(nc, lattice_prefix, FIRST, interval_s=60)
    await first.start()
    try:

        async def holds() -> bool:
            return await store.lease_holder() == FIRST

        await wait_until(holds, WAIT_S, "the first reconciler to take the lease")
    finally:
        await first.stop()
    assert await store.lease_holder() is None
    assert await store.acquire_lease(SECOND, ttl_s=60), "the next host takes it at once, without waiting for a TTL"
    assert await store.lease_holder() == SECOND


async def test_a_holder_that_does_not_answer_loses_the_lease_at_once(nc: Client, lattice_prefix: str) -> None:
    store = AppStore(nc, lattice_prefix)
    assert await store.acquire_lease(FIRST, ttl_s=3600)

    async def gone(host_id: str) -> bool:
        return False

    async def alive(host_id: str) -> bool:
        return True

    assert not await store.acquire_lease(SECOND, ttl_s=60, is_alive=alive)
    assert await store.lease_holder() == FIRST
    assert await store.acquire_lease(SECOND, ttl_s=60, is_alive=gone)
    assert await store.lease_holder() == SECOND
