"""Lattice RPC over a real nats-server (docs/protocol.md §4): signed invocations, chunking both ways, errors, timeouts.

A small responder stands in for an actor: it decodes the Invocation, fetches a chunked payload with
``RpcClient.receive_payload``, checks anti-forgery with ``antiforgery.validate`` and answers the reversed payload
with ``RpcClient.make_response``. A plain (non-queue) subscriber on the same subject sees the Invocation as it was on
the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator

import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js.errors import NotFoundError

from lattice import subjects
from lattice.errors import LatticeTimeoutError
from lattice.keys import KeyPair, KeyType
from lattice.natsconn import NatsOptions, connect, flush_all
from lattice.rpc import CHUNK_THRESHOLD_BYTES, RemoteError, RpcClient, RpcSettings, RpcTimeout
from lattice.rpc.errors import RpcError
from lattice.wire import Invocation, InvocationResponse, WasmCloudEntity, WireError, antiforgery

BIG = 5 * 1024 * 1024
SMALL = 1024
FAIL_OPERATION = "Test.Fail"
ECHO_OPERATION = "Test.Reverse"
SPY_WAIT_S = 5.0
CLUSTER = KeyPair.create(KeyType.CLUSTER)
HOST_ID = KeyPair.create(KeyType.SERVER).public_key
ORIGIN = WasmCloudEntity.provider(KeyPair.create(KeyType.SERVICE).public_key, "wasmcloud:httpserver", "default")
TARGET = WasmCloudEntity.actor(KeyPair.create(KeyType.MODULE).public_key)


def _settings(lattice: str, cluster: KeyPair = CLUSTER, **extra: int) -> RpcSettings:
    return RpcSettings(lattice=lattice, host_id=HOST_ID, cluster_key=cluster, **extra)  # type: ignore[arg-type]


async def _answer(client: RpcClient, msg: Msg) -> None:
    try:
        inv = Invocation.decode(msg.data)
        payload = await client.receive_payload(inv)
        antiforgery.validate(inv, [CLUSTER.public_key], full_msg=payload)
        if inv.operation == FAIL_OPERATION:
            response = InvocationResponse.failure(inv.id, "deliberate failure")
        else:
            response = await client.make_response(inv.id, payload[::-1])
    except (WireError, RpcError) as exc:
        response = InvocationResponse.failure("", f"{type(exc).__name__}: {exc}")
    await msg.respond(response.encode())


@pytest.fixture
async def responder_nc(nats_url: str) -> AsyncIterator[Client]:
    """The responder's own connection, as another process would have."""
    client = await connect(NatsOptions(url=nats_url, name="rpc-responder"))
    try:
        yield client
    finally:
        await client.drain()


@pytest.fixture
async def responder(responder_nc: Client, lattice_prefix: str, nc: Client) -> AsyncIterator[RpcClient]:
    """Serves TARGET on the lattice; removes the lattice's object store afterwards."""
    client = RpcClient(responder_nc, _settings(lattice_prefix))
    subject = subjects.actor_rpc(lattice_prefix, TARGET.public_key)

    async def answer(msg: Msg) -> None:
        await _answer(client, msg)

    sub = await responder_nc.subscribe(subject, queue=subject, cb=answer)
    await flush_all(responder_nc)
    yield client
    await sub.unsubscribe()
    with contextlib.suppress(NotFoundError):
        await nc.jetstream().delete_object_store(subjects.object_store_bucket(lattice_prefix))


@pytest.fixture
async def spy(nc: Client, lattice_prefix: str) -> AsyncIterator[Subscription]:
    sub = await nc.subscribe(subjects.actor_rpc(lattice_prefix, TARGET.public_key))
    await flush_all(nc)
    yield sub
    await sub.unsubscribe()


async def _on_the_wire(spy: Subscription) -> Invocation:
    return Invocation.decode((await spy.next_msg(timeout=SPY_WAIT_S)).data)


async def _gone(nc: Client, lattice: str, name: str) -> bool:
    store = await nc.jetstream().object_store(subjects.object_store_bucket(lattice))
    try:
        await store.get_info(name)
    except NotFoundError:
        return True
    return False


async def test_large_payload_each_way_goes_through_the_object_store(
    nc: Client, lattice_prefix: str, responder: RpcClient, spy: Subscription
) -> None:
    client = RpcClient(nc, _settings(lattice_prefix))
    big = os.urandom(BIG)
    response = await client.invoke(ORIGIN, TARGET, ECHO_OPERATION, big)

    sent = await _on_the_wire(spy)
    assert sent.msg == b""
    assert sent.content_length == BIG > len(sent.msg)
    assert await _gone(nc, lattice_prefix, subjects.chunk_request_object(sent.id))  # the responder took it

    assert response.ok, response.error
    assert response.invocation_id == sent.id
    assert response.msg == b""
    assert response.content_length == BIG > len(response.msg)
    store = await nc.jetstream().object_store(subjects.object_store_bucket(lattice_prefix))
    reply_object = subjects.chunk_response_object(sent.id)
    assert (await store.get_info(reply_object)).size == BIG
    assert await client.chunks.take(reply_object, BIG) == big[::-1]
    assert await _gone(nc, lattice_prefix, reply_object)


async def test_call_returns_a_large_result_and_leaves_no_objects(
    nc: Client, lattice_prefix: str, responder: RpcClient, spy: Subscription
) -> None:
    client = RpcClient(nc, _settings(lattice_prefix))
    big = os.urandom(BIG)
    assert await client.call(ORIGIN, TARGET, ECHO_OPERATION, big) == big[::-1]
    sent = await _on_the_wire(spy)
    assert await _gone(nc, lattice_prefix, subjects.chunk_request_object(sent.id))
    assert await _gone(nc, lattice_prefix, subjects.chunk_response_object(sent.id))


async def test_small_payload_does_not_chunk(
    nc: Client, lattice_prefix: str, responder: RpcClient, spy: Subscription
) -> None:
    client = RpcClient(nc, _settings(lattice_prefix))
    small = os.urandom(SMALL)
    response = await client.invoke(ORIGIN, TARGET, ECHO_OPERATION, small)
    sent = await _on_the_wire(spy)
    assert (sent.msg, sent.content_length) == (small, SMALL)
    assert (response.msg, response.content_length) == (small[::-1], SMALL)
    with pytest.raises(NotFoundError):  # nobody even opened the lattice's object store
        await nc.jetstream().object_store(subjects.object_store_bucket(lattice_prefix))


@pytest.mark.parametrize(("size", "chunked"), [(1000, False), (1001, True)])
async def test_chunking_starts_just_over_the_threshold(
    nc: Client, lattice_prefix: str, responder: RpcClient, spy: Subscription, size: int, chunked: bool
) -> None:
    client = RpcClient(nc, _settings(lattice_prefix, chunk_threshold=1000))
    payload = os.urandom(size)
    assert await client.call(ORIGIN, TARGET, ECHO_OPERATION, payload) == payload[::-1]
    sent = await _on_the_wire(spy)
    assert sent.is_chunked is chunked
    assert sent.content_length == size
    assert CHUNK_THRESHOLD_BYTES == 900 * 1024


async def test_remote_error(nc: Client, lattice_prefix: str, responder: RpcClient) -> None:
    client = RpcClient(nc, _settings(lattice_prefix))
    with pytest.raises(RemoteError, match="deliberate failure"):
        await client.call(ORIGIN, TARGET, FAIL_OPERATION, b"x")


async def test_invocation_from_an_untrusted_cluster_is_refused(
    nc: Client, lattice_prefix: str, responder: RpcClient
) -> None:
    stranger = RpcClient(nc, _settings(lattice_prefix, KeyPair.create(KeyType.CLUSTER)))
    with pytest.raises(RemoteError, match="UnknownIssuer"):
        await stranger.call(ORIGIN, TARGET, ECHO_OPERATION, b"x")


async def test_no_responder_is_a_timeout(nc: Client, lattice_prefix: str) -> None:
    client = RpcClient(nc, _settings(lattice_prefix, timeout_ms=500))
    with pytest.raises(RpcTimeout) as caught:
        await client.call(ORIGIN, TARGET, ECHO_OPERATION, b"x")
    assert isinstance(caught.value, asyncio.TimeoutError)
    assert isinstance(caught.value, LatticeTimeoutError)


async def test_chunked_request_nobody_took_is_removed_from_the_store(nc: Client, lattice_prefix: str) -> None:
    client = RpcClient(nc, _settings(lattice_prefix, timeout_ms=500, chunk_threshold=1000))
    store = await nc.jetstream().create_object_store(subjects.object_store_bucket(lattice_prefix))
    try:
        with pytest.raises(RpcTimeout):
            await client.call(ORIGIN, TARGET, ECHO_OPERATION, os.urandom(5000))
        written = await store.list()  # deleted objects included
        assert len(written) == 1
        assert written[0].size == 0
        assert written[0].deleted
    finally:
        await nc.jetstream().delete_object_store(subjects.object_store_bucket(lattice_prefix))


async def test_silent_responder_is_a_timeout(nc: Client, lattice_prefix: str) -> None:
    silent = await nc.subscribe(subjects.actor_rpc(lattice_prefix, TARGET.public_key))
    await flush_all(nc)
    client = RpcClient(nc, _settings(lattice_prefix))
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(asyncio.TimeoutError):
        await client.call(ORIGIN, TARGET, ECHO_OPERATION, b"x", timeout_ms=300)
    assert 0.25 <= loop.time() - started < 5
    await silent.unsubscribe()
