"""The control server on a real nats-server: routing, replies to garbage, refusals, auctions, queue groups, bounds."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from nats.aio.client import Client
from nats.errors import NoRespondersError

from host.control.server import ControlServer, ServerLimits
from lattice import keys, subjects
from lattice.control import types as t
from lattice.subjects import CtlOp
from tests.support.waiting import wait_until
from tests.unit.host.control.control_target import RecordingTarget

REQUEST_TIMEOUT_S = 2.0
SILENCE_S = 0.3
POLL_S = 0.01
BODYLESS_QUERIES = {CtlOp.PING_HOSTS, CtlOp.GET_CLAIMS, CtlOp.GET_LINKS, CtlOp.GET_INVENTORY}
GARBAGE = [
    b"{not json",
    b"\xff\x00\xfe",
    b"[1,2,3]",
    b'"a string"',
    b'{"actor_ref": 5, "provider_ref": [], "key": {}, "host_id": 7}',
]


async def ask(nc: Client, subject: str, body: bytes | dict[str, Any] = b"") -> dict[str, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    reply = await nc.request(subject, data, timeout=REQUEST_TIMEOUT_S)
    decoded: dict[str, Any] = json.loads(reply.data)
    return decoded


async def gather(nc: Client, subject: str, body: bytes, window_s: float = SILENCE_S) -> list[dict[str, Any]]:
    inbox = nc.new_inbox()
    sub = await nc.subscribe(inbox)
    await nc.publish(subject, body, reply=inbox)
    replies = []
    try:
        while True:
            msg = await sub.next_msg(timeout=window_s)
            replies.append(json.loads(msg.data))
    except TimeoutError:
        return replies
    finally:
        await sub.unsubscribe()


def subject(lattice: str, op: CtlOp, target: RecordingTarget) -> str:
    return subjects.ctl(lattice, op, target.host_id if op.host_targeted else "")


def assert_refused(reply: dict[str, Any], *fragments: str) -> None:
    assert reply["accepted"] is False, reply
    assert reply["error"]
    assert "Traceback" not in reply["error"]
    for fragment in fragments:
        assert fragment in reply["error"], reply["error"]


@pytest.mark.parametrize("op", sorted(set(CtlOp) - BODYLESS_QUERIES - {CtlOp.AUCTION_ACTOR, CtlOp.AUCTION_PROVIDER}))
@pytest.mark.parametrize("garbage", GARBAGE)
async def test_garbage_on_every_command_subject_gets_a_failure_ack(
    nc: Client, lattice_prefix: str, target: RecordingTarget, server: ControlServer, op: CtlOp, garbage: bytes
) -> None:
    assert_refused(await ask(nc, subject(lattice_prefix, op, target), garbage))
    assert target.calls == []


@pytest.mark.parametrize("op", [CtlOp.AUCTION_ACTOR, CtlOp.AUCTION_PROVIDER])
@pytest.mark.parametrize("garbage", GARBAGE)
async def test_garbage_auctions_get_a_failure_ack(
    nc: Client, lattice_prefix: str, target: RecordingTarget, server: ControlServer, op: CtlOp, garbage: bytes
) -> None:
    assert_refused(await ask(nc, subject(lattice_prefix, op, target), garbage))


@pytest.mark.parametrize("op", sorted(BODYLESS_QUERIES))
async def test_bodyless_queries_ignore_garbage_bodies(
    nc: Client, lattice_prefix: str, target: RecordingTarget, server: ControlServer, op: CtlOp
) -> None:
    reply = await ask(nc, subject(lattice_prefix, op, target), b"{not json")
    assert "accepted" not in reply


@pytest.mark.parametrize(
    "tail", ["cmd.{host}.bogus", "labels.{host}.zap", "linkdefs.zap", "auction.zap", "auction.a.b"]
)
async def test_unknown_operations_are_refused_by_name(
    nc: Client, lattice_prefix: str, target: RecordingTarget, server: ControlServer, tail: str
) -> None:
    wire = f"{subjects.ctl_prefix(lattice_prefix)}.{tail.replace('{host}', target.host_id)}"
    assert_refused(await ask(nc, wire, {}), "unknown control operation")


async def test_ping_reply_has_otp_060_fields_and_sends_a_heartbeat(
    nc: Client, lattice_prefix: str, target: RecordingTarget, server: ControlServer
) -> None:
    reply = await ask(nc, subjects.ctl(lattice_prefix, CtlOp.PING_HOSTS))
    assert set(reply) == set(t.Host("x").to_json())
    assert reply["id"] == target.host_id
    assert reply["labels"] == target.labels
    assert reply["uptime_human"] == "1h 2m 5s"
    assert reply["cluster_issuers"] == ",".join(target.host_info().cluster_issuers)
    assert reply["lattice_prefix"] == lattice_prefix
    await wait_until(lambda: target.heartbeats == 1)


async def test_inventory_describes_actors_and_providers(
    nc: Client, lattice_prefix: str, target: RecordingTarget, server: ControlServer
) -> None:
    await target.launch_actor("file:///echo.wasm", 2, {"app": "demo"})
    await target.launch_provider("kv.par", "default", None, {})
    inv = t.HostInventory.from_json(await ask(nc, subject(lattice_prefix, CtlOp.GET_INVENTORY, target)))
    assert inv.host_id == target.host_id
    assert [(a.id, a.image_ref, len(a.instances)) for a in inv.actors] == [(target.actor_key, "file:///echo.wasm", 2)]
    assert inv.actors[0].instances[0].annotations == {"app": "demo"}
    assert [(p.id, p.link_name, p.contract_id) for p in inv.providers] == [
        (target.provider_key, "default", "wasmcloud:keyvalue")
    ]


async def test_launch_actor_is_acked_and_reaches_the_target(
    nc: Client, lattice_prefix: str, target: RecordingTarget, server: ControlServer
) -> None:
    cmd = t.LaunchActorCommand("file:///echo.wasm", 2, {"app": "x"}, target.host_id)
    reply = await ask(nc, subject(lattice_prefix, CtlOp.LAUNCH_ACTOR, target), cmd.encode())
    assert reply == {"accepted": True, "error": ""}
    assert target.called("launch_actor") == [("file:///echo.wasm", 2, {"app": "x"})]


async def test_command_naming_another_host_is_refused(
    nc: Client, lattice_prefix: str, target: RecordingTarget, server: ControlServer
) -> None:
    other = keys.KeyPair.create(keys.KeyType.SERVER).public_key
    cmd = t.LaunchActorCommand("file:///echo.wasm", 1, {}, other)
    reply = await ask(nc, subject(lattice_prefix, CtlOp.LAUNCH_ACTOR, target), cmd.encode())
    assert_refused(reply, other, "refused")
    assert target.calls == []


async def test_command_rejected_by_the_target_becomes_a_failure_ack(
    nc: Client, lattice_prefix: str, target: RecordingTarget, server: ControlServer
) -> None:
    target.reject = "actor refs with :latest are not allowed"
    cmd = t.LaunchActorCommand("ghcr.io/x/echo:latest")
    assert_refused(await ask(nc, subject(lattice_prefix, CtlOp.LAUNCH_ACTOR, target), cmd.encode()), ":latest")


async def test_unexpected_host_failure_is_a_clean_failure_ack(
    nc: Client, lattice_prefix: str, target: RecordingTarget, server: ControlServer, caplog: pytest.LogCaptureFixture
) -> None:
    target.explode = True
    reply = await ask(nc, subject(lattice_prefix, CtlOp.LABEL_PUT, target), {"key": "a", "value": "b"})
    assert reply == {"accepted": False, "error": "internal error while handling labels.{host}.put"}
    assert "disk on fire" in caplog.text  # the details stay in the host's log


async def test_scale_without_actor_id_resolves_it_from_the_running_ref(
    nc: Client, lattice_prefix: str, target: RecordingTarget, server: ControlServer
) -> None:
    await target.launch_actor("ghcr.io/x/echo:0.1", 1, {})
    body = {"actor_ref": "ghcr.io/x/echo:0.1", "count": 3, "host_id": target.host_id}
    assert (await ask(nc, subject(lattice_prefix, CtlOp.SCALE_ACTOR, target), body))["accepted"] is True
    assert target.called("scale_actor") == [(target.actor_key, "ghcr.io/x/echo:0.1", 3, {})]


async def test_scale_with_otp_050_replicas_string(
    nc: Client, lattice_prefix: str, target: RecordingTarget, server: ControlServer
) -> None:
    body = {"actor_id": target.actor_key, "actor_ref": "r", "replicas": "4"}
    assert (await ask(nc, subject(lattice_prefix, CtlOp.SCALE_ACTOR, target), body))["accepted"] is True
    assert target.called("scale_actor") == [(target.actor_key, "r", 4, {})]


async def test_stop_provider_needs_a_provider_key(
    nc: Client, lattice_prefix: str, target: RecordingTarget, server: ControlServer
) -> None:
    cmd = t.StopProviderCommand("ghcr.io/x/kv:0.1", "default", "wasmcloud:keyvalue")
    assert_refused(await ask(nc, subject(lattice_prefix, CtlOp.STOP_PROVIDER, target), cmd.encode()), "public key")


async def test_launch_provider_already_running_is_refused(
    nc: Client, lattice_prefix: str, target: RecordingTarget, server: ControlServer
) -> None:
    await target.launch_provider("kv.par", "default", None, {})
    cmd = t.LaunchProviderCommand("kv.par", "default")
    assert_refused(await ask(nc, subject(lattice_prefix, CtlOp.LAUNCH_PROVIDER, target), cmd.encode()), "already")


async def test_stop_host_acks_before_stopping(
    nc: Client, lattice_prefix: str, target: RecordingTarget, server: ControlServer
) -> None:
    reply = await ask(nc, subject(lattice_prefix, CtlOp.STOP_HOST, target), t.StopHostCommand("", 250).encode())
    assert reply["accepted"] is True
    await asyncio.wait_for(target.stopped.wait(), REQUEST_TIMEOUT_S)
    assert target.called("stop_host") == [(250,)]


async def test_links_put_query_delete(
    nc: Client, lattice_prefix: str, target: RecordingTarget, server: ControlServer
) -> None:
    link = t.LinkDefinition("MA", "VP", "wasmcloud:keyvalue", "default", {"url": "redis://x"})
    assert (await ask(nc, subjects.ctl(lattice_prefix, CtlOp.LINKDEFS_PUT), link.encode_json()))["accepted"] is True
    links = t.LinksReply.from_json(await ask(nc, subjects.ctl(lattice_prefix, CtlOp.GET_LINKS))).links
    assert links == (link,)
    delete = t.LinkDeleteRequest("MA", "wasmcloud:keyvalue")
    assert (await ask(nc, subjects.ctl(lattice_prefix, CtlOp.LINKDEFS_DEL), delete.encode()))["accepted"] is True
    assert target.stored_links == {}


async def test_linkdef_put_missing_provider_is_refused(
    nc: Client, lattice_prefix: str, target: RecordingTarget, server: ControlServer
) -> None:
    body = {"actor_id": "MA", "contract_id": "c", "link_name": "default"}
    assert_refused(await ask(nc, subjects.ctl(lattice_prefix, CtlOp.LINKDEFS_PUT), body), "provider_id")


async def test_labels_put_and_delete(
    nc: Client, lattice_prefix: str, target: RecordingTarget, server: ControlServer
) -> None:
    put = t.LabelPutRequest("tier", "gold").encode()
    assert (await ask(nc, subject(lattice_prefix, CtlOp.LABEL_PUT, target), put))["accepted"] is True
    assert target.labels["tier"] == "gold"
    delete = t.LabelDeleteRequest("tier").encode()
    assert (await ask(nc, subject(lattice_prefix, CtlOp.LABEL_DEL, target), delete))["accepted"] is True
    assert "tier" not in target.labels


async def test_registries_put_reaches_the_target_typed(
    nc: Client, lattice_prefix: str, target: RecordingTarget, server: ControlServer
) -> None:
    body = {"ghcr.io": {"registryType": "oci", "username": "me", "password": "pw"}}
    assert (await ask(nc, subjects.ctl(lattice_prefix, CtlOp.REGISTRIES_PUT), body))["accepted"] is True
    [(creds,)] = target.called("put_registries")
    assert creds == {"ghcr.io": t.RegistryCredential("oci", "me", "pw")}


async def test_actor_auction_replies_only_when_labels_match(
    nc: Client, lattice_prefix: str, target: RecordingTarget, server: ControlServer
) -> None:
    wire = subjects.ctl(lattice_prefix, CtlOp.AUCTION_ACTOR)
    [ack] = await gather(nc, wire, t.ActorAuctionRequest("r", {"zone": "east"}).encode())
    assert ack == {"actor_ref": "r", "constraints": {"zone": "east"}, "host_id": target.host_id}
    assert await gather(nc, wire, t.ActorAuctionRequest("r", {"zone": "west"}).encode()) == []


async def test_provider_auction_skips_hosts_running_that_provider(
    nc: Client, lattice_prefix: str, target: RecordingTarget, server: ControlServer
) -> None:
    wire = subjects.ctl(lattice_prefix, CtlOp.AUCTION_PROVIDER)
    request = t.ProviderAuctionRequest("kv.par", "default").encode()
    assert [a["host_id"] for a in await gather(nc, wire, request)] == [target.host_id]
    await target.launch_provider("kv.par", "default", None, {})
    assert await gather(nc, wire, request) == []
    assert len(await gather(nc, wire, t.ProviderAuctionRequest("kv.par", "other").encode())) == 1


async def test_queries_are_answered_once_per_lattice_but_pings_by_every_host(
    nc: Client, lattice_prefix: str, target: RecordingTarget, server: ControlServer
) -> None:
    second = RecordingTarget(lattice_prefix)
    async with ControlServer(nc, lattice_prefix, second):
        pings = await gather(nc, subjects.ctl(lattice_prefix, CtlOp.PING_HOSTS), b"")
        assert sorted(p["id"] for p in pings) == sorted([target.host_id, second.host_id])
        assert len(await gather(nc, subjects.ctl(lattice_prefix, CtlOp.GET_LINKS), b"")) == 1
        assert len(await gather(nc, subjects.ctl(lattice_prefix, CtlOp.GET_CLAIMS), b"")) == 1


async def test_a_slow_command_does_not_hold_up_other_requests(
    nc: Client, lattice_prefix: str, target: RecordingTarget, server: ControlServer
) -> None:
    target.gate = asyncio.Event()
    slow = asyncio.create_task(ask(nc, subject(lattice_prefix, CtlOp.LAUNCH_ACTOR, target), {"actor_ref": "r"}))
    await asyncio.sleep(0.05)
    same_subject = await ask(nc, subject(lattice_prefix, CtlOp.STOP_ACTOR, target), {"actor_ref": target.actor_key})
    assert same_subject["accepted"] is True
    assert not slow.done()
    target.gate.set()
    assert (await slow)["accepted"] is True


async def test_beyond_the_in_flight_bound_requests_are_refused_as_busy(
    nc: Client, lattice_prefix: str, target: RecordingTarget
) -> None:
    target.gate = asyncio.Event()
    async with ControlServer(nc, lattice_prefix, target, limits=ServerLimits(max_in_flight=1)) as server:
        slow = asyncio.create_task(ask(nc, subject(lattice_prefix, CtlOp.LAUNCH_ACTOR, target), {"actor_ref": "r"}))
        await wait_until(lambda: server.in_flight == 1)
        assert_refused(await ask(nc, subject(lattice_prefix, CtlOp.PING_HOSTS, target)), "busy")
        target.gate.set()
        assert (await slow)["accepted"] is True


async def test_after_stop_nobody_answers(nc: Client, lattice_prefix: str, target: RecordingTarget) -> None:
    server = ControlServer(nc, lattice_prefix, target)
    await server.start()
    await ask(nc, subjects.ctl(lattice_prefix, CtlOp.PING_HOSTS))
    await server.stop()
    with pytest.raises(NoRespondersError):
        await nc.request(subjects.ctl(lattice_prefix, CtlOp.PING_HOSTS), b"", timeout=REQUEST_TIMEOUT_S)


async def test_stop_lets_in_flight_requests_finish(nc: Client, lattice_prefix: str, target: RecordingTarget) -> None:
    target.gate = asyncio.Event()
    server = ControlServer(nc, lattice_prefix, target)
    await server.start()
    slow = asyncio.create_task(ask(nc, subject(lattice_prefix, CtlOp.LAUNCH_ACTOR, target), {"actor_ref": "r"}))
    await wait_until(lambda: server.in_flight == 1)
    stopping = asyncio.create_task(server.stop())
    await asyncio.sleep(0.05)
    assert not stopping.done()
    target.gate.set()
    await stopping
    assert (await slow)["accepted"] is True


async def test_requests_without_a_reply_subject_are_still_handled(
    nc: Client, lattice_prefix: str, target: RecordingTarget, server: ControlServer
) -> None:
    await nc.publish(subject(lattice_prefix, CtlOp.LABEL_PUT, target), t.LabelPutRequest("k", "v").encode())
    await nc.publish(subject(lattice_prefix, CtlOp.LABEL_PUT, target), b"garbage")
    await wait_until(lambda: target.called("put_label") == [("k", "v")])
