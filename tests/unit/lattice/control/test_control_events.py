"""Waiting for lattice events: subscribe first, then match; malformed events are skipped; timeouts are typed."""

from __future__ import annotations

import asyncio
import json

import pytest
from nats.aio.client import Client

from lattice import subjects
from lattice.control import (
    CommandFailedError,
    ControlTimeout,
    EventWatcher,
    LatticeEvent,
    PayloadError,
    matching,
    waits,
)


def event(name: str, **data: object) -> bytes:
    return LatticeEvent(name, "NHOST", "id-1", "2026-01-01T00:00:00Z", data).encode()


async def test_wait_for_returns_the_first_matching_event(nc: Client, lattice_prefix: str) -> None:
    async with EventWatcher(nc, lattice_prefix) as events:
        await nc.publish(subjects.events(lattice_prefix), event("actor_started", public_key="MB"))
        await nc.publish(subjects.events(lattice_prefix), b"{not json")
        await nc.publish(subjects.events(lattice_prefix), event("actor_started", public_key="MA", instance_id="i1"))
        found = await events.wait_for(matching("actor_started", public_key="MA"), timeout_s=2)
    assert (found.name, found.data["instance_id"], found.source) == ("actor_started", "i1", "NHOST")


async def test_wait_for_times_out_with_a_typed_error(nc: Client, lattice_prefix: str) -> None:
    async with EventWatcher(nc, lattice_prefix) as events:
        await nc.publish(subjects.events(lattice_prefix), event("host_heartbeat"))
        with pytest.raises(ControlTimeout, match="actor start") as caught:
            await events.wait_for(matching("actor_started"), timeout_s=0.2, what="the actor start")
    assert isinstance(caught.value, asyncio.TimeoutError)


async def test_named_copies_are_not_seen_twice(nc: Client, lattice_prefix: str) -> None:
    async with EventWatcher(nc, lattice_prefix) as events:
        await nc.publish(subjects.event(lattice_prefix, "actor_started"), event("actor_started"))
        await nc.publish(subjects.events(lattice_prefix), event("actor_started"))
        await events.next(timeout_s=1)
        with pytest.raises(ControlTimeout):
            await events.next(timeout_s=0.2)


def test_event_decoding() -> None:
    parsed = LatticeEvent.decode(event("linkdef_set", id="X"))
    assert parsed.type == "com.wasmcloud.lattice.linkdef_set"
    assert json.loads(parsed.encode())["specversion"] == "1.0"
    with pytest.raises(PayloadError, match="does not start"):
        LatticeEvent.from_json({"type": "io.other.thing"})
    with pytest.raises(PayloadError, match="data"):
        LatticeEvent.from_json({"type": "com.wasmcloud.lattice.x", "data": [1]})


def test_matching_with_no_names_matches_any_name() -> None:
    parsed = LatticeEvent.decode(event("provider_started", link_name="default"))
    assert matching(link_name="default")(parsed)
    assert not matching("actor_started")(parsed)


async def test_expect_counts_instances_once_across_both_event_forms(nc: Client, lattice_prefix: str) -> None:
    def started(name: str, **data: object) -> bytes:
        return LatticeEvent(name, "NH", "i", "t", {"image_ref": "r", "public_key": "MA", **data}).encode()

    async with EventWatcher(nc, lattice_prefix) as events:
        wire = subjects.events(lattice_prefix)
        await nc.publish(wire, started("actor_started", instance_id="1"))
        await nc.publish(wire, started("actors_started", count=2))  # the batch form of the same two instances
        await nc.publish(wire, started("actor_started", instance_id="2"))
        seen = await waits.expect(events, waits.actor_start("r", "NH", 2), timeout_s=2)
    assert [e.name for e in seen] == ["actor_started", "actors_started"]


async def test_expect_raises_the_failure_reason(nc: Client, lattice_prefix: str) -> None:
    async with EventWatcher(nc, lattice_prefix) as events:
        failed = LatticeEvent("actor_start_failed", "NH", "i", "t", {"actor_ref": "r", "error": "bad signature"})
        other_host = LatticeEvent("actor_started", "NOTHER", "i", "t", {"image_ref": "r"})
        await nc.publish(subjects.events(lattice_prefix), other_host.encode())
        await nc.publish(subjects.events(lattice_prefix), failed.encode())
        with pytest.raises(CommandFailedError, match="could not carry out the command: bad signature"):
            await waits.expect(events, waits.actor_start("r", "NH"), timeout_s=2)


async def test_expect_timeout_names_what_was_awaited(nc: Client, lattice_prefix: str) -> None:
    async with EventWatcher(nc, lattice_prefix) as events:
        with pytest.raises(ControlTimeout, match=r"the stop of host NH was not reported within 0\.2s"):
            await waits.expect(events, waits.host_stop("NH"), timeout_s=0.2)
