"""Invocations through a real host: providers via links, actor to actor, built-ins, big payloads, limits."""

from __future__ import annotations

import asyncio
import logging
import os
import struct
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import msgpack
import pytest

from host.config import HostConfig
from host.host import Host
from lattice import keys, subjects
from lattice.claims import ActorClaims
from lattice.natsconn import flush_all
from lattice.wire import Invocation, InvocationResponse, LinkDefinition, WasmCloudEntity, antiforgery, pack
from tests.integration.host.hostcore_support import TEST_DEADLINE_MS, TEST_MEMORY_BYTES, EventLog, caller, invoke
from tests.support.guests import proxy_payload, signed_guest, write_module
from tests.support.waiting import wait_until

CONTRACT = "wasmcloud:testing"
MIB = 1024 * 1024


async def start(host: Host, log: EventLog, wasm: bytes, claims: ActorClaims, directory: Path) -> str:
    await host.commands.launch_actor(write_module(directory, wasm, f"{claims.subject}.wasm"), 1, {})
    await log.wait_for("actors_started", public_key=claims.subject)
    return claims.subject


@asynccontextmanager
async def fake_provider(
    nc: Any, lattice: str, provider: str, trusted: list[str], delay_s: float = 0.0
) -> AsyncIterator[list[Invocation]]:
    """A provider stand-in on ``…{provider}.default``: checks anti-forgery, answers ``provider:`` + payload."""
    seen: list[Invocation] = []

    async def serve(msg: Any) -> None:
        inv = Invocation.decode(msg.data)
        antiforgery.validate(inv, trusted)
        seen.append(inv)
        await asyncio.sleep(delay_s)
        await msg.respond(InvocationResponse(inv.id, b"provider:" + inv.msg).encode())

    sub = await nc.subscribe(subjects.provider_rpc(lattice, provider, "default"), queue="rpc", cb=serve)
    await flush_all(nc)
    try:
        yield seen
    finally:
        await sub.unsubscribe()


async def test_actor_calls_a_linked_provider(
    nc: Any, host_config: HostConfig, account: keys.KeyPair, cluster_key: keys.KeyPair, tmp_path: Path
) -> None:
    provider = keys.KeyPair.create(keys.KeyType.SERVICE).public_key
    lattice = host_config.lattice
    async with Host(host_config) as host, EventLog(nc, lattice) as log:
        actor = await start(host, log, *signed_guest(account, caps=[CONTRACT]), tmp_path)
        await host.commands.put_link(LinkDefinition(actor, provider, CONTRACT, "default"))
        async with fake_provider(nc, lattice, provider, [cluster_key.public_key]) as seen:
            call = proxy_payload("default", CONTRACT, "Testing.Do", b"abc")
            response = await invoke(caller(nc, lattice, cluster_key), actor, "Proxy.Call", call)
        assert (response.error, response.msg) == (None, b"provider:abc")
        (inv,) = seen
        assert inv.origin == WasmCloudEntity.actor(actor)
        assert inv.target == WasmCloudEntity.provider(provider, CONTRACT, "default")
        assert inv.operation == "Testing.Do"


async def test_actor_to_actor_by_key_and_by_alias(
    nc: Any, host_config: HostConfig, account: keys.KeyPair, cluster_key: keys.KeyPair, tmp_path: Path
) -> None:
    async with Host(host_config) as host, EventLog(nc, host_config.lattice) as log:
        first = await start(host, log, *signed_guest(account), tmp_path)
        second = await start(host, log, *signed_guest(account, call_alias="ponger", variant=1), tmp_path)
        rpc = caller(nc, host_config.lattice, cluster_key)
        by_key = await invoke(rpc, first, "Proxy.Call", proxy_payload("", second, "Echo.Echo", b"hi"))
        by_alias = await invoke(rpc, first, "Proxy.Call", proxy_payload("", "ponger", "Echo.Echo", b"yo"))
        assert (by_key.error, by_key.msg) == (None, b"hi")
        assert (by_alias.error, by_alias.msg) == (None, b"yo")


async def test_builtins_need_their_claim(
    nc: Any,
    host_config: HostConfig,
    account: keys.KeyPair,
    cluster_key: keys.KeyPair,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    numbergen, logging_ns = "wasmcloud:builtin:numbergen", "wasmcloud:builtin:logging"
    async with Host(host_config) as host, EventLog(nc, host_config.lattice) as log:
        able = await start(host, log, *signed_guest(account, caps=[numbergen, logging_ns]), tmp_path)
        unable = await start(host, log, *signed_guest(account, variant=1), tmp_path)
        rpc = caller(nc, host_config.lattice, cluster_key)
        ranged = proxy_payload("default", numbergen, "NumberGen.RandomInRange", pack({"min": 9, "max": 9}))
        assert msgpack.unpackb((await invoke(rpc, able, "Proxy.Call", ranged)).msg) == 9
        line = proxy_payload("default", logging_ns, "Logging.WriteLog", pack({"level": "info", "text": "hello"}))
        with caplog.at_level(logging.INFO, logger="host.actors.log"):
            assert (await invoke(rpc, able, "Proxy.Call", line)).error is None
        assert f"[{able}] hello" in caplog.messages
        denied = await invoke(rpc, unable, "Proxy.Call", ranged)
        assert denied.error == f"Invocation not authorized: missing capability claim for {numbergen}"


async def test_five_mebibytes_each_way(
    nc: Any, host_config: HostConfig, account: keys.KeyPair, cluster_key: keys.KeyPair, tmp_path: Path
) -> None:
    payload = os.urandom(5 * MIB)
    async with Host(host_config) as host, EventLog(nc, host_config.lattice) as log:
        actor = await start(host, log, *signed_guest(account), tmp_path)
        rpc = caller(nc, host_config.lattice, cluster_key, timeout_ms=10_000)
        result = await rpc.call(WasmCloudEntity.actor(actor), WasmCloudEntity.actor(actor), "Echo.Echo", payload)
        assert result == payload


async def test_runaway_guest_is_stopped_while_others_answer(
    nc: Any, host_config: HostConfig, account: keys.KeyPair, cluster_key: keys.KeyPair, tmp_path: Path
) -> None:
    async with Host(host_config) as host, EventLog(nc, host_config.lattice) as log:
        spinner = await start(host, log, *signed_guest(account), tmp_path)
        echo = await start(host, log, *signed_guest(account, variant=1), tmp_path)
        rpc = caller(nc, host_config.lattice, cluster_key, timeout_ms=TEST_DEADLINE_MS * 4)
        began = time.monotonic()
        spinning = asyncio.create_task(invoke(rpc, spinner, "Spin.Forever", b""))
        await asyncio.sleep(0.2)
        for _ in range(5):
            t0 = time.monotonic()
            assert (await invoke(rpc, echo, "Echo.Echo", b"alive")).msg == b"alive"
            assert time.monotonic() - t0 < 0.5
        stopped = await spinning
        elapsed = time.monotonic() - began
        assert stopped.error == f"actor {spinner} ran past its deadline and was stopped"
        assert TEST_DEADLINE_MS / 1000 <= elapsed < TEST_DEADLINE_MS / 1000 + 1.0
        assert (await invoke(rpc, spinner, "Echo.Echo", b"back")).msg == b"back"


async def test_memory_bomb_is_capped(
    nc: Any, host_config: HostConfig, account: keys.KeyPair, cluster_key: keys.KeyPair, tmp_path: Path
) -> None:
    async with Host(host_config) as host, EventLog(nc, host_config.lattice) as log:
        actor = await start(host, log, *signed_guest(account), tmp_path)
        rpc = caller(nc, host_config.lattice, cluster_key)
        (pages,) = struct.unpack("<I", (await invoke(rpc, actor, "Mem.Bomb", b"")).msg)
        assert TEST_MEMORY_BYTES // 2 < pages * 65536 <= TEST_MEMORY_BYTES
        assert (await invoke(rpc, actor, "Echo.Echo", b"ok")).msg == b"ok"


async def test_graceful_stop_finishes_calls_in_flight(
    nc: Any, host_config: HostConfig, account: keys.KeyPair, cluster_key: keys.KeyPair, tmp_path: Path
) -> None:
    provider = keys.KeyPair.create(keys.KeyType.SERVICE).public_key
    lattice = host_config.lattice
    trusted = [cluster_key.public_key]
    async with EventLog(nc, lattice) as log, fake_provider(nc, lattice, provider, trusted, 0.7) as seen:
        async with Host(host_config) as host:
            actor = await start(host, log, *signed_guest(account, caps=[CONTRACT]), tmp_path)
            await host.commands.put_link(LinkDefinition(actor, provider, CONTRACT, "default"))
            rpc = caller(nc, lattice, cluster_key)
            call = asyncio.create_task(
                invoke(rpc, actor, "Proxy.Call", proxy_payload("default", CONTRACT, "Testing.Slow", b"x"))
            )
            await wait_until(lambda: seen, what="the call to reach the provider")  # in flight when the host stops
        assert (await call).msg == b"provider:x"
        await log.wait_for("host_stopped", timeout_s=1)
        assert log.named("actors_stopped", public_key=actor, remaining=0)
