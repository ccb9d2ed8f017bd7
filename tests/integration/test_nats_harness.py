"""The real-NATS harness: the session server answers, JetStream works, and the server manager fails loudly."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg

from lattice.natsconn import DEFAULT_NATS_PORT, NatsConnectError, NatsOptions, connect, flush_all
from lattice.natsserver import (
    NatsServer,
    NatsServerConfig,
    NatsServerStartError,
    nats_reachable,
    read_pid_file,
)
from tests.support import ports

REQUEST_TIMEOUT_S = 2.0


@pytest.fixture
def free_port() -> int:
    """A loopback port that nothing listens on."""
    return ports.free_port()


async def test_request_reply_through_session_server(nc: Client, lattice_prefix: str) -> None:
    subject = f"{lattice_prefix}.harness.echo"

    async def echo(msg: Msg) -> None:
        await msg.respond(msg.data[::-1])

    await nc.subscribe(subject, cb=echo)
    reply = await nc.request(subject, b"lattice", timeout=REQUEST_TIMEOUT_S)
    assert reply.data == b"ecittal"


async def test_jetstream_kv_put_get(nc: Client, lattice_prefix: str) -> None:
    js = nc.jetstream()
    bucket = f"{lattice_prefix}_harness"
    kv = await js.create_key_value(bucket=bucket)
    try:
        revision = await kv.put("answer", b"42")
        entry = await kv.get("answer")
        assert (entry.value, entry.revision) == (b"42", revision)
    finally:
        await js.delete_key_value(bucket)


async def test_session_server_is_on_a_random_port_not_4222(nats_server: NatsServer, nats_url: str) -> None:
    assert nats_server.port != DEFAULT_NATS_PORT
    assert nats_url == f"nats://127.0.0.1:{nats_server.port}"
    assert await nats_reachable(nats_url)


def test_bogus_extra_arg_fails_loudly_with_log_text(tmp_path: Path) -> None:
    server = NatsServer(NatsServerConfig(store_dir=tmp_path, extra_args=("--no-such-flag",)))
    with pytest.raises(NatsServerStartError, match="exited") as caught:
        server.start()
    assert "flag provided but not defined: -no-such-flag" in str(caught.value)
    assert not server.running


def test_taken_port_fails_loudly_with_log_text(nats_server: NatsServer, tmp_path: Path) -> None:
    server = NatsServer(NatsServerConfig(store_dir=tmp_path, port=nats_server.port, jetstream=False))
    with pytest.raises(NatsServerStartError, match="address already in use"):
        server.start()


async def test_async_context_manager_starts_and_stops(tmp_path: Path) -> None:
    async with NatsServer(NatsServerConfig(store_dir=tmp_path, jetstream=False)) as server:
        url = server.url
        assert await nats_reachable(url)
    assert not await nats_reachable(url)


def test_two_servers_get_different_ports(tmp_path: Path, nats_server: NatsServer) -> None:
    with NatsServer(NatsServerConfig(store_dir=tmp_path, jetstream=False)) as other:
        assert other.port != nats_server.port


async def test_detached_server_stops_through_its_pid_file(tmp_path: Path) -> None:
    server = NatsServer(NatsServerConfig(store_dir=tmp_path, jetstream=False))
    await server.start_async(detach=True)
    try:
        pid_file = server.config.pid_path
        assert read_pid_file(pid_file) == server.pid
        assert os.getsid(server.pid) == server.pid  # its own session: survives the terminal that started it
        assert await asyncio.to_thread(NatsServer.stop_pid_file, pid_file)
        assert not pid_file.exists()
        assert not await nats_reachable(server.url)
        assert not NatsServer.stop_pid_file(pid_file)
    finally:
        server.stop()


async def test_reachable_is_false_for_a_silent_listener(tmp_path: Path) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    listener = await asyncio.start_server(silent, "127.0.0.1", 0)
    async with listener:
        port = listener.sockets[0].getsockname()[1]
        started = time.monotonic()
        assert not await nats_reachable(f"nats://127.0.0.1:{port}", timeout_s=0.3)
        assert time.monotonic() - started < 2.0


async def test_reachable_is_false_for_a_non_nats_listener() -> None:
    async def http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.0 400 Bad Request\r\n\r\n")
        await writer.drain()
        writer.close()

    listener = await asyncio.start_server(http, "127.0.0.1", 0)
    async with listener:
        port = listener.sockets[0].getsockname()[1]
        assert not await nats_reachable(f"nats://127.0.0.1:{port}")


async def test_reachable_is_false_when_nothing_listens(free_port: int) -> None:
    assert not await nats_reachable(f"nats://127.0.0.1:{free_port}")


async def test_connect_to_nothing_raises_a_helpful_error_in_time(free_port: int) -> None:
    started = time.monotonic()
    with pytest.raises(NatsConnectError, match=r"is a server running\? start one with `lattice up`"):
        await connect(NatsOptions(url=f"nats://127.0.0.1:{free_port}", connect_timeout_s=0.5))
    assert time.monotonic() - started < 3.0


async def test_tls_asked_for_but_not_offered_is_refused(nats_url: str) -> None:
    with pytest.raises(NatsConnectError, match="does not offer TLS"):
        await connect(NatsOptions(url=nats_url, tls_required=True))


RACE_TRIES = 500


async def test_flush_all_means_another_connection_finds_the_subscriber(
    nc: Client, nats_url: str, lattice_prefix: str
) -> None:
    """Subscribe on one connection, flush_all, request from another at once: never "no responders".

    With nats-py's plain ``flush()`` this failed about 3 times in 100 (its PING overtakes the buffered SUB), so 500
    clean tries would not happen by chance (0.97 ** 500 < 1e-6).
    """
    other = await connect(NatsOptions(url=nats_url, name="flush-all-requester"))

    async def answer(msg: Msg) -> None:
        await msg.respond(b"here")

    try:
        for attempt in range(RACE_TRIES):
            subject = f"{lattice_prefix}.race.{attempt}"
            sub = await nc.subscribe(subject, queue=subject, cb=answer)
            await flush_all(nc)
            assert (await other.request(subject, b"?", timeout=REQUEST_TIMEOUT_S)).data == b"here", attempt
            await sub.unsubscribe()
    finally:
        await other.close()
