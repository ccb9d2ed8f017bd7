"""The host's inbound steps: the shared checks in OTP's words, the claims check, and error cleaning."""

from __future__ import annotations

import msgspec
import pytest

from host.invocations import InvocationRejected
from host.invocations.inbound import WORDING, check_claims, clean
from lattice import keys
from lattice.rpc.inbound import Recipient, check_recipient, decode, verify
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
    assert decode(inv.encode(), WORDING) == inv


@pytest.mark.parametrize(
    "data",
    [b"", b"\xc1", pack([1, 2, 3]), pack({"origin": 5}), pack({"origin": {}, "target": {}, "operation": 7})],
)
def test_decode_rejects_garbage(data: bytes) -> None:
    with pytest.raises(InvocationRejected, match=r"^Failed to deserialize msgpack invocation"):
        decode(data, WORDING)


def test_verify_words_forgeries_as_otp_does() -> None:
    inv = _signed()
    verify(inv, inv.msg, [CLUSTER.public_key], WORDING)
    stranger = _signed(key=keys.KeyPair.create(keys.KeyType.CLUSTER))
    with pytest.raises(InvocationRejected, match=r"^anti-forgery check failed: .* not a trusted cluster issuer$"):
        verify(stranger, stranger.msg, [CLUSTER.public_key], WORDING)
    other = keys.KeyPair.create(keys.KeyType.MODULE).public_key
    retargeted = msgspec.structs.replace(inv, target=WasmCloudEntity.actor(other))
    with pytest.raises(
        InvocationRejected, match=r"^anti-forgery check failed: invocation token was issued for another"
    ):
        verify(retargeted, retargeted.msg, [CLUSTER.public_key], WORDING)


def test_check_target() -> None:
    check_recipient(_signed(), Recipient(ACTOR), WORDING)
    with pytest.raises(InvocationRejected, match=f"^invocation targets '{ACTOR}', not actor {CALLER}$"):
        check_recipient(_signed(), Recipient(CALLER), WORDING)


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
