"""The inbound pipeline's pure steps: decode, anti-forgery, target, claims; and error cleaning."""

from __future__ import annotations

import msgspec
import pytest

from host.invocations import InvocationRejected
from host.invocations.inbound import check_claims, check_target, clean, decode, verify
from lattice import keys
from lattice.wire import WasmCloudEntity, antiforgery, pack

CLUSTER = keys.KeyPair.create(keys.KeyType.CLUSTER)
HOST = keys.KeyPair.create(keys.KeyType.SERVER).public_key
ACTOR = keys.KeyPair.create(keys.KeyType.MODULE).public_key
CALLER = keys.KeyPair.create(keys.KeyType.MODULE).public_key
PROVIDER = keys.KeyPair.create(keys.KeyType.SERVICE).public_key


def _signed(origin: WasmCloudEntity | None = None, msg: bytes = b"hello", key: keys.KeyPair = CLUSTER):  # type: ignore[no-untyped-def]
    origin = origin or WasmCloudEntity.actor(CALLER)
    return antiforgery.sign(origin, WasmCloudEntity.actor(ACTOR), "Echo.Echo", msg, key, HOST)


def test_decode_round_trip() -> None:
    inv = _signed()
    assert decode(inv.encode()) == inv


@pytest.mark.parametrize(
    "data",
    [b"", b"\xc1", pack([1, 2, 3]), pack({"origin": 5}), pack({"origin": {}, "target": {}, "operation": 7})],
)
def test_decode_rejects_garbage(data: bytes) -> None:
    with pytest.raises(InvocationRejected, match=r"^Failed to deserialize msgpack invocation"):
        decode(data)


def test_verify_accepts_a_trusted_signature() -> None:
    inv = _signed()
    verify(inv, inv.msg, [CLUSTER.public_key])


def test_verify_rejects_an_unknown_issuer() -> None:
    inv = _signed(key=keys.KeyPair.create(keys.KeyType.CLUSTER))
    with pytest.raises(InvocationRejected, match="not a trusted cluster issuer"):
        verify(inv, inv.msg, [CLUSTER.public_key])


def test_verify_rejects_a_tampered_payload() -> None:
    inv = msgspec.structs.replace(_signed(), msg=b"HELLO")
    with pytest.raises(InvocationRejected, match="hash does not match"):
        verify(inv, inv.msg, [CLUSTER.public_key])


def test_verify_rejects_a_retargeted_invocation() -> None:
    other = keys.KeyPair.create(keys.KeyType.MODULE).public_key
    inv = msgspec.structs.replace(_signed(), target=WasmCloudEntity.actor(other))
    with pytest.raises(InvocationRejected, match="anti-forgery"):
        verify(inv, inv.msg, [CLUSTER.public_key])


def test_check_target() -> None:
    check_target(_signed(), ACTOR)
    with pytest.raises(InvocationRejected, match="not actor"):
        check_target(_signed(), CALLER)


def test_provider_origin_needs_the_contract_in_the_actors_caps() -> None:
    inv = _signed(WasmCloudEntity.provider(PROVIDER, "wasmcloud:httpserver", "default"))
    check_claims(inv, {"wasmcloud:httpserver"})
    message = "^Invocation source does not have the required capability claim wasmcloud:httpserver$"
    with pytest.raises(InvocationRejected, match=message):
        check_claims(inv, {"wasmcloud:keyvalue"})
    check_claims(_signed(), set())  # actors need no claim


def test_clean_keeps_the_first_line_only() -> None:
    assert clean("wasm trap: unreachable\nwasm backtrace:\n  0: 0x1 - <unknown>") == "wasm trap: unreachable"
    assert clean("   ") == "unknown error"
    assert len(clean("x" * 5000)) == 1000
