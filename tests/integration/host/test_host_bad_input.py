"""Bad input never crashes or wedges the host: each request gets a clear error reply and the host keeps serving."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import msgspec
import pytest

from host.config import HostConfig
from host.host import Host
from lattice import keys, subjects
from lattice.claims import ActorClaims
from lattice.subjects import CtlOp
from lattice.wire import InvocationResponse, LinkDefinition, WasmCloudEntity, antiforgery, pack
from tests.integration.host.hostcore_support import CALLER_MODULE, EventLog, caller, invoke
from tests.support.guests import proxy_payload, signed_guest, write_module

REQUEST_TIMEOUT_S = 5.0
FLOOD = 10_000
FLOOD_CONCURRENCY = 200
FLOOD_BUDGET_S = 90.0


async def start(host: Host, log: EventLog, wasm: bytes, claims: ActorClaims, directory: Path) -> str:
    await host.commands.launch_actor(write_module(directory, wasm, f"{claims.subject}.wasm"), 1, {})
    await log.wait_for("actors_started", public_key=claims.subject)
    return claims.subject


async def raw_error(nc: Any, lattice: str, actor: str, body: bytes) -> str:
    reply = await nc.request(subjects.actor_rpc(lattice, actor), body, timeout=REQUEST_TIMEOUT_S)
    response = InvocationResponse.decode(reply.data)
    assert response.error is not None
    return response.error


def signed(actor: str, cluster: keys.KeyPair, msg: bytes = b"hi", origin: WasmCloudEntity | None = None) -> Any:
    source = origin or WasmCloudEntity.actor(CALLER_MODULE)
    host_id = keys.KeyPair.create(keys.KeyType.SERVER).public_key
    return antiforgery.sign(source, WasmCloudEntity.actor(actor), "Echo.Echo", msg, cluster, host_id)


async def assert_still_serving(host: Host, nc: Any, lattice: str, actor: str, cluster: keys.KeyPair) -> None:
    assert (await invoke(caller(nc, lattice, cluster), actor, "Echo.Echo", b"alive")).msg == b"alive"
    assert [a.id for a in host.commands.actors()] == [actor]


@pytest.mark.parametrize(
    ("make_body", "fragment"),
    [
        (lambda actor, cluster: b"\x93garbage", "Failed to deserialize msgpack invocation"),
        (lambda actor, cluster: signed(actor, cluster).encode()[:-7], "Failed to deserialize msgpack invocation"),
        (
            lambda actor, cluster: pack({**signed(actor, cluster).to_wire(), "operation": 42}),
            "invocation.operation must be a string",
        ),
        (lambda actor, cluster: pack({**signed(actor, cluster).to_wire(), "origin": "me"}), "invocation.origin"),
        (
            lambda actor, cluster: signed(actor, keys.KeyPair.create(keys.KeyType.CLUSTER)).encode(),
            "not a trusted cluster issuer",
        ),
        (
            lambda actor, cluster: msgspec.structs.replace(signed(actor, cluster), msg=b"HI").encode(),
            "hash does not match",
        ),
        (
            lambda actor, cluster: msgspec.structs.replace(signed(actor, cluster), encoded_claims="a.b.c").encode(),
            "anti-forgery check failed",
        ),
        (
            lambda actor, cluster: signed(
                actor, cluster, origin=WasmCloudEntity.provider("VPROVIDER", "wasmcloud:httpserver", "default")
            ).encode(),
            "Invocation source does not have the required capability claim wasmcloud:httpserver",
        ),
    ],
    ids=["garbage", "truncated", "wrong-type", "origin-not-a-map", "forged", "tampered", "bad-token", "no-claim"],
)
async def test_bad_invocations_get_clear_errors(
    make_body: Any,
    fragment: str,
    nc: Any,
    host_config: HostConfig,
    account: keys.KeyPair,
    cluster_key: keys.KeyPair,
    tmp_path: Path,
) -> None:
    lattice = host_config.lattice
    async with Host(host_config) as host, EventLog(nc, lattice) as log:
        actor = await start(host, log, *signed_guest(account), tmp_path)
        error = await raw_error(nc, lattice, actor, make_body(actor, cluster_key))
        assert fragment in error
        assert "Traceback" not in error
        assert "object at 0x" not in error
        await assert_still_serving(host, nc, lattice, actor, cluster_key)


@pytest.mark.parametrize(
    ("operation", "binding", "namespace", "expected"),
    [
        ("No.Such", "", "", "unknown operation"),
        ("Proxy.Call", "default", "wasmcloud:keyvalue", "Invocation not authorized: missing capability claim for "
         "wasmcloud:keyvalue"),
        ("Proxy.Call", "default", "wasmcloud:messaging", "Invocation not authorized: missing link definition for "
         "wasmcloud:messaging on {lattice}"),
        ("Proxy.Call", "", "nobody_here", "Could not identify suitable target for invocation"),
        ("Proxy.Call", "", keys.KeyPair.create(keys.KeyType.MODULE).public_key,
         "Failed to perform RPC call: request timeout"),
    ],
    ids=["unknown-operation", "unclaimed-contract", "unlinked-call", "unknown-alias", "absent-actor"],
)  # fmt: skip
async def test_bad_calls_from_the_actor_get_clear_errors(
    operation: str,
    binding: str,
    namespace: str,
    expected: str,
    nc: Any,
    host_config: HostConfig,
    account: keys.KeyPair,
    cluster_key: keys.KeyPair,
    tmp_path: Path,
) -> None:
    lattice = host_config.lattice
    provider = keys.KeyPair.create(keys.KeyType.SERVICE).public_key
    async with Host(replace(host_config, rpc_timeout_ms=500)) as host, EventLog(nc, lattice) as log:
        actor = await start(host, log, *signed_guest(account, caps=["wasmcloud:messaging"]), tmp_path)
        await host.commands.put_link(LinkDefinition(actor, provider, "wasmcloud:keyvalue", "default"))
        payload = proxy_payload(binding, namespace, "Any.Thing", b"x") if operation == "Proxy.Call" else b""
        response = await invoke(caller(nc, lattice, cluster_key), actor, operation, payload)
        assert response.error == expected.format(lattice=lattice)
        await assert_still_serving(host, nc, lattice, actor, cluster_key)


async def test_ten_thousand_malformed_messages_are_all_answered(
    nc: Any, host_config: HostConfig, account: keys.KeyPair, cluster_key: keys.KeyPair, tmp_path: Path
) -> None:
    lattice = host_config.lattice
    async with Host(host_config) as host, EventLog(nc, lattice) as log:
        actor = await start(host, log, *signed_guest(account), tmp_path)
        targets = [
            subjects.actor_rpc(lattice, actor),
            subjects.ctl(lattice, CtlOp.LAUNCH_ACTOR, host.host_id),
            subjects.ctl(lattice, CtlOp.SCALE_ACTOR, host.host_id),
            subjects.ctl(lattice, CtlOp.UPDATE_ACTOR, host.host_id),
            subjects.ctl(lattice, CtlOp.LINKDEFS_PUT),
            subjects.ctl(lattice, CtlOp.LINKDEFS_DEL),
        ]
        gate = asyncio.Semaphore(FLOOD_CONCURRENCY)
        answered = 0

        async def one(i: int) -> None:
            nonlocal answered
            async with gate:
                await nc.request(targets[i % len(targets)], b"\xc1\x00" + bytes([i % 256]) * (i % 7), timeout=30)
                answered += 1

        began = time.monotonic()
        await asyncio.gather(*(one(i) for i in range(FLOOD)))
        assert answered == FLOOD
        assert time.monotonic() - began < FLOOD_BUDGET_S
        await assert_still_serving(host, nc, lattice, actor, cluster_key)
        assert host.commands.links() == []
