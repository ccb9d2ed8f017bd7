"""The lattice-wide security table: each attack against a real host, real providers and real signed actors.

Every row sends one attack, checks the refusal it gets (the exact reason, never a traceback), then checks that
the lattice did not change (links, claims, running actors and providers, the LATTICEDATA stream) and that the
host still serves real traffic (HTTP through the httpserver provider, a KV round trip through the keyvalue
provider, a control ping). docs/security.md maps each row to the code that enforces it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import msgspec
import pytest
from nats.errors import MaxPayloadError

from lattice import keys, subjects
from lattice.control import HostNotFoundError
from lattice.control.events import matching
from lattice.control.requests import Ack
from lattice.interfaces.httpserver import HANDLE_REQUEST, HttpRequest, HttpResponse
from lattice.rpc.chunks import DEFAULT_MAX_CHUNKED_BYTES
from lattice.subjects import CtlOp
from lattice.wire import Invocation, WasmCloudEntity, antiforgery, pack
from tests.security.security_support import (
    HTTPSERVER,
    KEYVALUE,
    SecureLattice,
    http_get,
    raw_rpc,
    resign,
    snapshot,
    tampered,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

START_FAILED_S = 10.0
MODULE_LIMIT_BYTES = 64 * 1024 * 1024
HTTP_BODY_LIMIT = 10 * 1024 * 1024
RAW_NATS_TIMEOUT_S = 5.0

Attack = Callable[[SecureLattice], Awaitable[str]]


# --- building blocks -----------------------------------------------------------------------------------------------


def _host_key() -> str:
    return keys.KeyPair.create(keys.KeyType.SERVER).public_key


def _to_actor(lat: SecureLattice, target: str, path: str = "/signed", signer: keys.KeyPair | None = None) -> Invocation:
    """A signed ``HttpServer.HandleRequest`` for ``path`` from an outside actor (no contract) to ``target``."""
    origin = WasmCloudEntity.actor(keys.KeyPair.create(keys.KeyType.MODULE).public_key)
    msg = HttpRequest("GET", path).encode()
    return antiforgery.sign(
        origin, WasmCloudEntity.actor(lat.actors[target]), HANDLE_REQUEST, msg, signer or lat.cluster, _host_key()
    )


def _to_keyvalue(lat: SecureLattice, actor: str, signer: keys.KeyPair | None = None) -> Invocation:
    """A signed ``KeyValue.Get`` from ``actor`` to the real keyvalue provider."""
    target = WasmCloudEntity.provider(lat.providers[KEYVALUE], KEYVALUE, "default")
    origin = WasmCloudEntity.actor(lat.actors[actor])
    return antiforgery.sign(origin, target, "KeyValue.Get", pack("counter:/probe"), signer or lat.cluster, _host_key())


def _kv_subject(lat: SecureLattice) -> str:
    return subjects.provider_rpc(lat.lattice, lat.providers[KEYVALUE], "default")


async def _rpc_error(lat: SecureLattice, subject: str, inv: Invocation | bytes) -> str:
    body = inv if isinstance(inv, bytes) else inv.encode()
    response = await raw_rpc(lat.nc, subject, body)
    assert response.error is not None, "the attack was accepted"
    assert response.msg == b""
    return response.error


async def _start_failure(lat: SecureLattice, wasm_ref: str) -> str:
    """Launch an actor that must not start; the reason from ``actors_start_failed``."""
    async with lat.ctl.watch_events() as events:
        await lat.ctl.start_actor(lat.host_id, wasm_ref)
        failed = await events.wait_for(
            matching("actors_start_failed", "actors_started"), START_FAILED_S, "the start outcome"
        )
    assert failed.name == "actors_start_failed", failed
    return str(failed.data["error"])


# --- the attacks ---------------------------------------------------------------------------------------------------


async def forged_to_actor(lat: SecureLattice) -> str:
    stranger = keys.KeyPair.create(keys.KeyType.CLUSTER)
    return await _rpc_error(
        lat, subjects.actor_rpc(lat.lattice, lat.actors["echo"]), _to_actor(lat, "echo", signer=stranger)
    )


async def forged_to_provider(lat: SecureLattice) -> str:
    stranger = keys.KeyPair.create(keys.KeyType.CLUSTER)
    return await _rpc_error(lat, _kv_subject(lat), _to_keyvalue(lat, "kvgood", stranger))


async def altered_payload_to_actor(lat: SecureLattice) -> str:
    inv = _to_actor(lat, "echo", "/pay?coins=1")
    inv = msgspec.structs.replace(inv, msg=HttpRequest("GET", "/pay?coins=9").encode())
    return await _rpc_error(lat, subjects.actor_rpc(lat.lattice, lat.actors["echo"]), inv)


async def altered_payload_to_provider(lat: SecureLattice) -> str:
    inv = msgspec.structs.replace(_to_keyvalue(lat, "kvgood"), msg=pack("counter:/someone-else"))
    return await _rpc_error(lat, _kv_subject(lat), inv)


async def replayed_to_other_actor(lat: SecureLattice) -> str:
    inv = _to_actor(lat, "echo", "/for-echo-only")
    replayed = msgspec.structs.replace(inv, target=WasmCloudEntity.actor(lat.actors["kvgood"]))
    return await _rpc_error(lat, subjects.actor_rpc(lat.lattice, lat.actors["kvgood"]), replayed)


async def replayed_to_provider(lat: SecureLattice) -> str:
    inv = _to_actor(lat, "echo")
    kv = WasmCloudEntity.provider(lat.providers[KEYVALUE], KEYVALUE, "default")
    replayed = msgspec.structs.replace(inv, origin=WasmCloudEntity.actor(lat.actors["kvgood"]), target=kv)
    return await _rpc_error(lat, _kv_subject(lat), replayed)


async def tampered_module(lat: SecureLattice) -> str:
    return await _start_failure(lat, lat.module_file(tampered("echo"), "tampered"))


async def expired_claims(lat: SecureLattice) -> str:
    wasm, _ = resign("echo", lat.account, [HTTPSERVER], expires_in_s=-60)
    return await _start_failure(lat, lat.module_file(wasm, "expired"))


async def not_yet_valid_claims(lat: SecureLattice) -> str:
    wasm, _ = resign("echo", lat.account, [HTTPSERVER], not_before_in_s=3600)
    return await _start_failure(lat, lat.module_file(wasm, "not-yet-valid"))


async def issuer_not_allowed(lat: SecureLattice) -> str:
    wasm, _ = resign("echo", keys.KeyPair.create(keys.KeyType.ACCOUNT), [HTTPSERVER])
    return await _start_failure(lat, lat.module_file(wasm, "foreign-issuer"))


async def module_over_size_limit(lat: SecureLattice) -> str:
    path = lat.tmp / "huge.wasm"
    with path.open("wb") as f:  # sparse: the size check comes before any read
        f.truncate(MODULE_LIMIT_BYTES + 1)
    return await _start_failure(lat, f"file://{path}")


async def provider_origin_without_capability(lat: SecureLattice) -> str:
    via_http = await http_get(lat.ports["echo_noclaim"], "/x")
    assert via_http.status == 500, via_http  # the real httpserver's call was refused by the host
    origin = WasmCloudEntity.provider(lat.providers[HTTPSERVER], HTTPSERVER, "default")
    target = WasmCloudEntity.actor(lat.actors["echo_noclaim"])
    inv = antiforgery.sign(origin, target, "HttpServer.HandleRequest", b"", lat.cluster, _host_key())
    return await _rpc_error(lat, subjects.actor_rpc(lat.lattice, lat.actors["echo_noclaim"]), inv)


async def actor_calls_unclaimed_contract(lat: SecureLattice) -> str:
    reply = await http_get(lat.ports["kv_noclaim"], "/count")
    assert reply.status == 500, reply
    return str(json.loads(reply.body)["error"])


async def actor_calls_unlinked_provider(lat: SecureLattice) -> str:
    reply = await http_get(lat.ports["kvcounter"], "/count")
    assert reply.status == 500, reply
    return str(json.loads(reply.body)["error"])


async def unlinked_actor_calls_provider_directly(lat: SecureLattice) -> str:
    return await _rpc_error(lat, _kv_subject(lat), _to_keyvalue(lat, "kvcounter"))


async def _ctl_refusal(lat: SecureLattice, op: CtlOp, body: dict[str, object]) -> str:
    reply = await lat.nc.request(subjects.ctl(lat.lattice, op, lat.host_id), json.dumps(body).encode(), timeout=5)
    ack = Ack.decode(reply.data)
    assert not ack.accepted
    return ack.error


def ctl_for_other_host(op: CtlOp, body: dict[str, object]) -> Attack:
    async def attack(lat: SecureLattice) -> str:
        filled = {
            k: (lat.actors["echo"] if v == "ECHO" else lat.providers[KEYVALUE] if v == "KV" else v)
            for k, v in body.items()
        }
        return await _ctl_refusal(lat, op, {**filled, "host_id": _host_key()})

    return attack


async def ctl_for_absent_host(lat: SecureLattice) -> str:
    absent = _host_key()
    with pytest.raises(HostNotFoundError) as stop:
        await lat.ctl.stop_host(absent)
    with pytest.raises(HostNotFoundError) as launch:
        await lat.ctl.start_actor(absent, lat.module_file(tampered("echo"), "never"))
    assert str(stop.value) == str(launch.value)
    return str(stop.value)


async def over_nats_max_payload(lat: SecureLattice) -> str:
    limit = lat.nc.max_payload
    subject = subjects.actor_rpc(lat.lattice, lat.actors["echo"])
    with pytest.raises(MaxPayloadError):  # nats-py refuses before sending
        await lat.nc.publish(subject, b"\x00" * (limit + 1))
    url = urlsplit(lat.nc.connected_url.geturl())
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    try:  # a raw client that ignores the limit: the server refuses and drops it
        await reader.readline()  # INFO
        writer.write(b'CONNECT {"verbose":false,"pedantic":false}\r\n')
        writer.write(f"PUB {subject} {limit + 1}\r\n".encode() + b"\x00" * (limit + 1) + b"\r\n")
        await writer.drain()
        async with asyncio.timeout(RAW_NATS_TIMEOUT_S):
            answer = await reader.readline()
            with contextlib.suppress(ConnectionResetError):  # then it drops the connection (a reset or an EOF)
                assert await reader.read() == b""
    finally:
        writer.close()
    return answer.decode()


async def over_chunk_limit(lat: SecureLattice) -> str:
    inv = _to_actor(lat, "echo")
    announced = msgspec.structs.replace(inv, msg=b"", content_length=DEFAULT_MAX_CHUNKED_BYTES + 1)
    return await _rpc_error(lat, subjects.actor_rpc(lat.lattice, lat.actors["echo"]), announced)


async def over_http_body_limit(lat: SecureLattice) -> str:
    reply = await http_get(lat.ports["echo"], "/upload", data=b"x" * (HTTP_BODY_LIMIT + 1))
    assert reply.status == 413, reply
    return reply.body


# --- the table -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    id: str
    attack: Attack
    expected: str


ROWS = [
    Row("forged-invocation-to-actor", forged_to_actor, "which is not a trusted cluster issuer"),
    Row("forged-invocation-to-provider", forged_to_provider, "which is not a trusted cluster issuer"),
    Row("altered-payload-to-actor", altered_payload_to_actor, "hash does not match its contents"),
    Row("altered-payload-to-provider", altered_payload_to_provider, "hash does not match its contents"),
    Row("token-replayed-to-other-actor", replayed_to_other_actor, "token was issued for another target"),
    Row("token-replayed-to-provider", replayed_to_provider, "token was issued for another target"),
    Row("tampered-module", tampered_module, "the module was altered after signing"),
    Row("expired-claims", expired_claims, "expired at"),
    Row("not-yet-valid-claims", not_yet_valid_claims, "are not valid before"),
    Row("issuer-not-allowed", issuer_not_allowed, "is not in the allowed issuers"),
    Row(
        "provider-origin-without-capability",
        provider_origin_without_capability,
        "Invocation source does not have the required capability claim wasmcloud:httpserver",
    ),
    Row(
        "actor-calls-unclaimed-contract",
        actor_calls_unclaimed_contract,
        "Invocation not authorized: missing capability claim for wasmcloud:keyvalue",
    ),
    Row(
        "actor-calls-unlinked-provider",
        actor_calls_unlinked_provider,
        "Invocation not authorized: missing link definition for wasmcloud:keyvalue",
    ),
    Row("unlinked-actor-calls-provider-directly", unlinked_actor_calls_provider_directly, "unlinked actor"),
    *(
        Row(f"ctl-{op.name.lower()}-for-other-host", ctl_for_other_host(op, body), "but it reached host")
        for op, body in [
            (CtlOp.LAUNCH_ACTOR, {"actor_ref": "file:///nowhere.wasm", "count": 1}),
            (CtlOp.STOP_ACTOR, {"actor_ref": "ECHO", "count": 0}),
            (CtlOp.SCALE_ACTOR, {"actor_id": "ECHO", "actor_ref": "ECHO", "count": 0}),
            (CtlOp.LAUNCH_PROVIDER, {"provider_ref": "python:wasmlattice_keyvalue", "link_name": "other"}),
            (CtlOp.STOP_PROVIDER, {"provider_ref": "KV", "link_name": "default", "contract_id": KEYVALUE}),
            (CtlOp.STOP_HOST, {}),
        ]
    ),
    Row("ctl-for-absent-host", ctl_for_absent_host, "does not answer on lattice"),
    Row("over-nats-max-payload", over_nats_max_payload, "-ERR 'Maximum Payload Violation'"),
    Row("over-chunked-payload-limit", over_chunk_limit, f"exceeds the limit of {DEFAULT_MAX_CHUNKED_BYTES}"),
    Row("over-actor-module-limit", module_over_size_limit, f"more than the limit of {MODULE_LIMIT_BYTES}"),
    Row("over-http-body-limit", over_http_body_limit, f"request body exceeds {HTTP_BODY_LIMIT} bytes"),
]


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
async def test_attack_is_refused_and_changes_nothing(row: Row, secure_lattice: SecureLattice) -> None:
    lat = secure_lattice
    before = await snapshot(lat.ctl, lat.nc, lat.lattice)
    refusal = await row.attack(lat)
    assert row.expected in refusal
    assert "Traceback" not in refusal
    assert "object at 0x" not in refusal
    assert await snapshot(lat.ctl, lat.nc, lat.lattice) == before
    await lat.assert_serves()


async def test_the_lattice_under_attack_is_real(secure_lattice: SecureLattice) -> None:
    """The table's lattice: both providers and all five actors run, seven links, and the legitimate paths work."""
    lat = secure_lattice
    state = await snapshot(lat.ctl, lat.nc, lat.lattice)
    assert {a for _, a, _ in state.actors} == set(lat.actors.values())
    assert {p for _, p, _ in state.providers} == set(lat.providers.values())
    assert len(state.links) == 7
    good = await raw_rpc(lat.nc, _kv_subject(lat), _to_keyvalue(lat, "kvgood").encode())
    assert good.error is None
    echoed = await raw_rpc(
        lat.nc, subjects.actor_rpc(lat.lattice, lat.actors["echo"]), _to_actor(lat, "echo", "/signed").encode()
    )
    assert echoed.error is None
    assert HttpResponse.decode(echoed.msg).status_code == 200
    await lat.assert_serves()
