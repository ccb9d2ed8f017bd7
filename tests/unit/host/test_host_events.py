"""Event builders: CloudEvents 1.0 envelopes with the docs/protocol.md §6 data fields."""

from __future__ import annotations

import datetime
import json
import uuid

from host import events
from lattice import keys
from lattice.claims import ActorMetadata, Claims
from lattice.wire import LinkDefinition, WasmCloudEntity

HOST = keys.KeyPair.create(keys.KeyType.SERVER).public_key
ACTOR = keys.KeyPair.create(keys.KeyType.MODULE).public_key
CLAIMS = Claims(
    "AISSUER", ACTOR, 1700000000, "jti", ActorMetadata(name="Echo", caps=("a:b",), rev=2, call_alias="echo"), 1800000000
)


def test_envelope() -> None:
    event = events.cloud_event("host_started", HOST, {"x": 1})
    assert event["specversion"] == "1.0"
    assert event["type"] == "com.wasmcloud.lattice.host_started"
    assert event["source"] == HOST
    assert uuid.UUID(event["id"]).version == 4
    assert event["datacontenttype"] == "application/json"
    assert datetime.datetime.fromisoformat(event["time"]).utcoffset() == datetime.timedelta(0)
    assert events.event_name(event) == "host_started"
    assert json.loads(events.encode(event)) == event


def test_actor_started_data() -> None:
    event = events.actor_started(HOST, CLAIMS, "file:///e.wasm", "iid", {"a": "b"})
    data = event["data"]
    assert data["public_key"] == ACTOR
    assert (data["image_ref"], data["instance_id"], data["annotations"]) == ("file:///e.wasm", "iid", {"a": "b"})
    assert data["claims"]["caps"] == ["a:b"]
    assert data["claims"]["call_alias"] == "echo"
    assert data["claims"]["revision"] == 2
    assert data["claims"]["expires_human"] == "2027-01-15T08:00:00Z"
    assert data["claims"]["not_before_human"] == "immediately"


def test_actors_stopped_and_start_failed() -> None:
    stopped = events.actors_stopped(HOST, ACTOR, 2, 1, {})["data"]
    assert stopped == {"host_id": HOST, "public_key": ACTOR, "count": 2, "remaining": 1, "annotations": {}}
    failed = events.actors_start_failed(HOST, ACTOR, "ref", {}, "bad")["data"]
    assert failed == {"public_key": ACTOR, "image_ref": "ref", "annotations": {}, "host_id": HOST, "error": "bad"}


def test_linkdef_events_carry_the_link() -> None:
    link = LinkDefinition(ACTOR, "VPROV", "wasmcloud:keyvalue", "default", {"k": "v"})
    event = events.linkdef_set(link)
    assert event["source"] == "n/a"
    assert event["data"] == link.to_wire()
    assert events.event_name(events.linkdef_deleted(link)) == "linkdef_deleted"


def test_invocation_result() -> None:
    event = events.invocation_result(
        HOST,
        succeeded=False,
        source=WasmCloudEntity.actor(ACTOR),
        dest=WasmCloudEntity.provider("VP", "c:d", "default"),
        operation="X.Y",
        size=5,
    )
    assert events.event_name(event) == "invocation_failed"
    assert event["data"]["dest"] == {"public_key": "VP", "link_name": "default", "contract_id": "c:d"}
    assert event["data"]["bytes"] == 5


def test_heartbeat_and_human_uptime() -> None:
    data = events.host_heartbeat(
        HOST, actors={ACTOR: 2}, providers=[], labels={"a": "b"}, friendly_name="n", version="v", uptime_seconds=3725
    )["data"]
    assert data["actors"] == {ACTOR: 2}
    assert data["uptime_human"] == "1h 2m 5s"
    assert events.human_duration(0) == "0s"
    assert events.human_duration(90061) == "1d 1h 1m 1s"
