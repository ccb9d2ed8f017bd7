"""Heartbeat and EventPublisher: a heartbeat reads what it reports from the parts that know it, and is published."""

from __future__ import annotations

import json

from nats.aio.client import Client

from host.config import HostConfig
from host.control.target import ProviderInfo
from host.events import EventPublisher
from host.heartbeat import Heartbeat
from host.identity import Identity, Labels
from lattice import subjects

PROVIDER = ProviderInfo("VPROV", "python:kv", "wasmcloud:keyvalue", "default", "kv", "i-1", 0)


async def test_a_heartbeat_reports_actors_providers_and_labels(nc: Client, lattice_prefix: str) -> None:
    me = Identity.from_config(HostConfig())
    labels = Labels({"zone": "a"})
    counts = {"MACTOR": 2}
    beat = Heartbeat(EventPublisher(nc, lattice_prefix, me.host_id), me, labels, lambda: counts, lambda: [PROVIDER])
    sub = await nc.subscribe(subjects.event(lattice_prefix, "host_heartbeat"))
    await nc.flush()
    await beat.beat()
    event = json.loads((await sub.next_msg(timeout=5)).data)
    assert event["source"] == me.host_id
    data = event["data"]
    assert data["actors"] == {"MACTOR": 2}
    assert data["providers"] == [{"public_key": "VPROV", "link_name": "default", "contract_id": "wasmcloud:keyvalue"}]
    assert data["labels"] == {"zone": "a"}
    assert data["friendly_name"] == me.friendly_name
    labels.put("tier", "gold")
    counts["MACTOR"] = 3
    assert beat.event()["data"]["labels"] == {"zone": "a", "tier": "gold"}
    assert beat.event()["data"]["actors"] == {"MACTOR": 3}


async def test_named_events_are_sent_from_this_host(nc: Client, lattice_prefix: str) -> None:
    publisher = EventPublisher(nc, lattice_prefix, "NHOST")
    sub = await nc.subscribe(subjects.events(lattice_prefix))
    await nc.flush()
    await publisher.publish_named("provider_started", {"public_key": "VPROV"})
    event = json.loads((await sub.next_msg(timeout=5)).data)
    assert (event["type"], event["source"], event["data"]) == (
        "com.wasmcloud.lattice.provider_started",
        "NHOST",
        {"public_key": "VPROV"},
    )
