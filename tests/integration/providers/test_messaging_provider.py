"""The NATS messaging provider process: subscriptions delivered to a stand-in actor, publish and request for it,
bounded concurrency, and links it must refuse."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from nats.aio.client import Client

from lattice.interfaces import PubMessage, ReplyMessage, RequestMessage, SubMessage
from lattice.keys import KeyPair
from lattice.natsconn import flush_all
from lattice.natsserver import NatsServer
from lattice.provider.claims import module_claims
from lattice.rpc import RemoteError
from lattice.wire import Invocation, LinkDefinition, WasmCloudEntity
from tests.support.ports import free_port
from tests.support.providers_harness import (
    ActorCaller,
    LatticeSpec,
    ProviderProcess,
    StandInActor,
    new_actor,
)
from tests.support.waiting import wait_until

MODULE = "wasmlattice_messaging"
CONTRACT = "wasmcloud:messaging"


@dataclass
class Messaging:
    proc: ProviderProcess
    nc: Client
    lattice: LatticeSpec

    @property
    def key(self) -> str:
        return self.proc.host_data.provider_key

    def link(self, actor: str, **values: str) -> LinkDefinition:
        return LinkDefinition(actor, self.key, CONTRACT, "default", values)

    def caller(self, actor: str) -> ActorCaller:
        return ActorCaller(self.nc, self.lattice, WasmCloudEntity.provider(self.key, CONTRACT, "default"), actor)

    async def linked(self, actor: str, **values: str) -> None:
        """Put a link and wait until the provider serves it."""
        await self.proc.put_link(self.nc, self.link(actor, **values))
        probe = PubMessage(f"{self.lattice.prefix}.probe", b"").encode()

        async def ready() -> bool:
            return (await self.caller(actor).invoke("Messaging.Publish", probe)).error is None

        await wait_until(ready, what="messaging link")


@pytest.fixture
async def messaging(nc: Client, lattice: LatticeSpec) -> AsyncIterator[Messaging]:
    proc = ProviderProcess.module(MODULE, lattice.host_data(module_claims(MODULE).subject))
    await proc.start()
    try:
        await proc.wait_ready(nc)
        yield Messaging(proc, nc, lattice)
    finally:
        await proc.kill()


def recorder(into: list[SubMessage]) -> Any:
    async def handle(inv: Invocation, payload: bytes) -> bytes:
        assert inv.operation == "MessageSubscriber.HandleMessage"
        into.append(SubMessage.decode(payload))
        return b""

    return handle


async def test_subscriptions_are_delivered_to_the_actor(messaging: Messaging, nc: Client, lattice: LatticeSpec) -> None:
    got: list[SubMessage] = []
    actor = await StandInActor(nc, lattice, recorder(got)).start()
    p = lattice.prefix
    await messaging.linked(actor.actor_id, SUBSCRIPTION=f"{p}.orders.*, {p}.audit|auditors")
    await nc.publish(f"{p}.orders.new", b"o-1", reply=f"{p}.inbox")
    await nc.publish(f"{p}.audit", b"a-1")
    await nc.publish(f"{p}.other", b"ignored")

    async def both() -> bool:
        return len(got) == 2

    await wait_until(both, what="two deliveries")
    assert sorted(got, key=lambda m: m.subject) == [
        SubMessage(f"{p}.audit", b"a-1", None),
        SubMessage(f"{p}.orders.new", b"o-1", f"{p}.inbox"),
    ]
    assert actor.forged == []


async def test_actor_publishes(messaging: Messaging, nc: Client, lattice: LatticeSpec) -> None:
    actor = new_actor()
    await messaging.linked(actor)
    sub = await nc.subscribe(f"{lattice.prefix}.out")
    msg = PubMessage(f"{lattice.prefix}.out", b"hello", reply_to=f"{lattice.prefix}.back")
    assert await messaging.caller(actor).call("Messaging.Publish", msg.encode()) == b""
    received = await sub.next_msg(timeout=2)
    assert (received.data, received.reply) == (b"hello", f"{lattice.prefix}.back")


async def test_actor_requests_and_gets_the_reply(messaging: Messaging, nc: Client, lattice: LatticeSpec) -> None:
    actor = new_actor()
    await messaging.linked(actor)

    async def respond(msg: Any) -> None:
        await msg.respond(msg.data[::-1])

    await nc.subscribe(f"{lattice.prefix}.svc", cb=respond)
    request = RequestMessage(f"{lattice.prefix}.svc", b"abc", timeout_ms=2000)
    reply = ReplyMessage.decode(await messaging.caller(actor).call("Messaging.Request", request.encode()))
    assert reply.body == b"cba"


async def test_request_without_responders_or_in_time_is_an_error(
    messaging: Messaging, nc: Client, lattice: LatticeSpec
) -> None:
    actor = new_actor()
    await messaging.linked(actor)
    with pytest.raises(RemoteError, match="no responders"):
        await messaging.caller(actor).call(
            "Messaging.Request", RequestMessage(f"{lattice.prefix}.none", b"", 500).encode()
        )

    async def ignore(msg: Any) -> None:
        return None

    await nc.subscribe(f"{lattice.prefix}.mute", cb=ignore)
    with pytest.raises(RemoteError, match="timed out after 300 ms"):
        await messaging.caller(actor).call(
            "Messaging.Request", RequestMessage(f"{lattice.prefix}.mute", b"", 300).encode()
        )


@pytest.mark.parametrize("subject", ["", "a b", "a..b", "orders.*", "orders.>"])
async def test_publishing_to_a_bad_subject_is_an_error(messaging: Messaging, subject: str) -> None:
    actor = new_actor()
    await messaging.linked(actor)
    with pytest.raises(RemoteError, match="is not a NATS subject"):
        await messaging.caller(actor).call("Messaging.Publish", PubMessage(subject, b"x").encode())


async def test_at_most_75_deliveries_run_at_once_per_subscription(
    messaging: Messaging, nc: Client, lattice: LatticeSpec
) -> None:
    running, peak, done = 0, 0, 0

    async def slow(inv: Invocation, payload: bytes) -> bytes:
        nonlocal running, peak, done
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.3)
        running -= 1
        done += 1
        return b""

    actor = await StandInActor(nc, lattice, slow).start()
    await messaging.linked(actor.actor_id, SUBSCRIPTION=f"{lattice.prefix}.burst")
    for i in range(200):
        await nc.publish(f"{lattice.prefix}.burst", str(i).encode())

    async def all_done() -> bool:
        return done == 200

    await wait_until(all_done, timeout_s=15, what="200 deliveries")
    assert peak == 75


async def test_link_delete_stops_deliveries(messaging: Messaging, nc: Client, lattice: LatticeSpec) -> None:
    got: list[SubMessage] = []
    actor = await StandInActor(nc, lattice, recorder(got)).start()
    values = {"SUBSCRIPTION": f"{lattice.prefix}.feed"}
    await messaging.linked(actor.actor_id, **values)
    await messaging.proc.del_link(nc, messaging.link(actor.actor_id, **values))

    async def unlinked() -> bool:
        probe = PubMessage(f"{lattice.prefix}.x", b"").encode()
        return (await messaging.caller(actor.actor_id).invoke("Messaging.Publish", probe)).error == "unlinked actor"

    await wait_until(unlinked, what="link removed")
    await nc.publish(f"{lattice.prefix}.feed", b"late")
    await flush_all(nc)
    await asyncio.sleep(0.3)
    assert got == []


async def test_nkey_authenticated_uri(messaging: Messaging, nkey_server: NatsServer, nkey_user: KeyPair) -> None:
    actor = new_actor()
    await messaging.linked(actor, URI=nkey_server.url, CLIENT_SEED=nkey_user.seed)


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"URI": f"127.0.0.1:{free_port()}"}, "could not reach NATS"),
        ({"CLIENT_JWT": "eyJ.x.y"}, "CLIENT_JWT needs CLIENT_SEED"),
        ({"CLIENT_SEED": "SUNOTASEED"}, "bad NATS user seed"),
        ({"SUBSCRIPTION": "a b"}, "is not a NATS subject"),
        ({"config_json": "[1]"}, "must be a JSON object"),
    ],
)
async def test_unusable_links_are_refused_and_others_keep_working(
    messaging: Messaging, values: dict[str, str], reason: str
) -> None:
    good = new_actor()
    await messaging.linked(good)
    await messaging.proc.put_link(messaging.nc, messaging.link(new_actor(), **values))

    async def reported() -> bool:
        return reason in ((await messaging.proc.health(messaging.nc)).message or "")

    await wait_until(reported, timeout_s=10, what=f"refusal {reason!r}")
    assert await messaging.caller(good).call("Messaging.Publish", PubMessage("x.y", b"").encode()) == b""
