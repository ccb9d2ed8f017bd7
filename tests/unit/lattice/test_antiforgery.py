"""Anti-forgery (docs/protocol.md §4.3): URLs and hash computed by hand from the recipe, the token, validation."""

from __future__ import annotations

import base64
import hashlib
import json
import time

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lattice.claims import jwt
from lattice.claims.model import ActorMetadata, Claims, InvocationMetadata
from lattice.keys import KeyPair, KeyType
from lattice.wire import (
    BadInvocationToken,
    ForgedInvocation,
    Invocation,
    InvocationTampered,
    UnknownIssuer,
    WasmCloudEntity,
    WireError,
    WrongTarget,
    antiforgery,
)

CLUSTER = KeyPair.create(KeyType.CLUSTER)
HOST_ID = KeyPair.create(KeyType.SERVER).public_key
ACTOR_KEY = KeyPair.create(KeyType.MODULE).public_key
PROVIDER_KEY = KeyPair.create(KeyType.SERVICE).public_key
ACTOR = WasmCloudEntity.actor(ACTOR_KEY)
PROVIDER = WasmCloudEntity.provider(PROVIDER_KEY, "wasmcloud:messaging", "default")
OPERATION = "Messaging.Publish"
MSG = b"\x83\xa7subject\xa3a.b\xa7replyTo\xa0\xa4body\xc4\x02hi"


def _hand_hash(origin_url: str, target_url: str, operation: str, msg: bytes) -> str:
    return hashlib.sha256(origin_url.encode() + target_url.encode() + operation.encode() + msg).hexdigest().upper()


def _claims_json(inv: Invocation) -> dict[str, object]:
    return json.loads(base64.urlsafe_b64decode(inv.encoded_claims.split(".")[1] + "=="))  # type: ignore[no-any-return]


def _signed(msg: bytes = MSG, *, chunked: bool = False) -> Invocation:
    return antiforgery.sign(ACTOR, PROVIDER, OPERATION, msg, CLUSTER, HOST_ID, chunked=chunked)


# --- URLs and hash, by hand ------------------------------------------------------------------------------------------


def test_actor_url_is_the_bare_key() -> None:
    assert ACTOR.url() == f"wasmbus://{ACTOR_KEY}"
    assert WasmCloudEntity("mlowercase").url() == "wasmbus://mlowercase"  # 'M' compared case-insensitively


def test_provider_url_has_contract_and_link() -> None:
    assert PROVIDER.url() == f"wasmbus://wasmcloud/messaging/default/{PROVIDER_KEY}"
    odd = WasmCloudEntity.provider(PROVIDER_KEY, "Acme:Key Value", "My Link")
    assert odd.url() == f"wasmbus://acme/key_value/my_link/{PROVIDER_KEY}"


def test_hash_matches_the_protocol_recipe() -> None:
    origin_url = f"wasmbus://{ACTOR_KEY}"
    target_url = f"wasmbus://wasmcloud/messaging/default/{PROVIDER_KEY}/{OPERATION}"
    expected = _hand_hash(origin_url, target_url, OPERATION, MSG)
    assert antiforgery.target_url(PROVIDER, OPERATION) == target_url
    assert antiforgery.invocation_hash(ACTOR, PROVIDER, OPERATION, MSG) == expected


@given(op=st.text(max_size=30), msg=st.binary(max_size=300), link=st.text(max_size=10))
def test_hash_matches_the_recipe_for_any_input(op: str, msg: bytes, link: str) -> None:
    target = WasmCloudEntity.provider(PROVIDER_KEY, "wasmcloud:keyvalue", link)
    target_url = f"wasmbus://wasmcloud/keyvalue/{link.replace(' ', '_').lower()}/{PROVIDER_KEY}/{op}"
    expected = _hand_hash(f"wasmbus://{ACTOR_KEY}", target_url, op, msg)
    assert antiforgery.invocation_hash(ACTOR, target, op, msg) == expected


def test_signed_invocation_carries_the_protocol_claims() -> None:
    inv = _signed()
    header = json.loads(base64.urlsafe_b64decode(inv.encoded_claims.split(".")[0] + "=="))
    body = _claims_json(inv)
    assert header == {"typ": "jwt", "alg": "Ed25519"}
    assert body["iss"] == CLUSTER.public_key
    assert body["sub"] == inv.id
    assert "exp" not in body
    assert "nbf" not in body
    assert body["wascap_revision"] == 3
    assert body["wascap"] == {
        "target_url": f"wasmbus://wasmcloud/messaging/default/{PROVIDER_KEY}/{OPERATION}",
        "origin_url": f"wasmbus://{ACTOR_KEY}",
        "hash": _hand_hash(
            f"wasmbus://{ACTOR_KEY}",
            f"wasmbus://wasmcloud/messaging/default/{PROVIDER_KEY}/{OPERATION}",
            OPERATION,
            MSG,
        ),
    }
    assert (inv.msg, inv.content_length, inv.host_id) == (MSG, len(MSG), HOST_ID)
    assert len(inv.id) == 32
    assert int(inv.id, 16) >= 0


def test_chunked_invocation_is_signed_over_the_full_payload() -> None:
    big = bytes(range(256)) * 8
    inv = _signed(big, chunked=True)
    assert inv.msg == b""
    assert inv.content_length == len(big)
    assert inv.is_chunked
    assert _claims_json(inv)["wascap"]["hash"] == antiforgery.invocation_hash(ACTOR, PROVIDER, OPERATION, big)  # type: ignore[index]


# --- validation ------------------------------------------------------------------------------------------------------


def test_validate_accepts_a_good_invocation_after_the_wire() -> None:
    inv = Invocation.decode(_signed().encode())
    found = antiforgery.validate(inv, [CLUSTER.public_key])
    assert found.subject == inv.id
    assert found.metadata.origin_url == ACTOR.url()


def test_validate_accepts_a_cluster_key_as_host_id_like_otp() -> None:
    inv = antiforgery.sign(ACTOR, PROVIDER, OPERATION, MSG, CLUSTER, CLUSTER.public_key)
    antiforgery.validate(inv, ["COTHER", CLUSTER.public_key])


def test_unknown_cluster_key() -> None:
    stranger = KeyPair.create(KeyType.CLUSTER)
    inv = antiforgery.sign(ACTOR, PROVIDER, OPERATION, MSG, stranger, HOST_ID)
    with pytest.raises(UnknownIssuer):
        antiforgery.validate(inv, [CLUSTER.public_key])
    with pytest.raises(UnknownIssuer):
        antiforgery.validate(inv, [])


def test_altered_msg_under_a_valid_token() -> None:
    inv = _signed()
    with pytest.raises(InvocationTampered):
        antiforgery.validate(msgspec.structs.replace(inv, msg=MSG + b"!"), [CLUSTER.public_key])


def test_token_replayed_to_another_target() -> None:
    inv = _signed()
    other = WasmCloudEntity.provider(KeyPair.create(KeyType.SERVICE).public_key, "wasmcloud:messaging", "default")
    with pytest.raises(WrongTarget):
        antiforgery.validate(msgspec.structs.replace(inv, target=other), [CLUSTER.public_key])
    with pytest.raises(WrongTarget):
        antiforgery.validate(
            msgspec.structs.replace(inv, target=WasmCloudEntity.actor(ACTOR_KEY)), [CLUSTER.public_key]
        )


def test_token_replayed_with_another_link_operation_origin_or_id() -> None:
    inv = _signed()
    changes = [
        {"target": msgspec.structs.replace(PROVIDER, link_name="backup")},
        {"operation": "Messaging.Request"},
        {"origin": WasmCloudEntity.actor(KeyPair.create(KeyType.MODULE).public_key)},
        {"id": "another-invocation-id"},
    ]
    for change in changes:
        with pytest.raises(WrongTarget):
            antiforgery.validate(msgspec.structs.replace(inv, **change), [CLUSTER.public_key])  # type: ignore[arg-type]


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "eyJ0eXAiOiJqd3QiLCJhbGciOiJFZDI1NTE5In0.e30.AAAA"])
def test_garbage_token(token: str) -> None:
    with pytest.raises(BadInvocationToken):
        antiforgery.validate(msgspec.structs.replace(_signed(), encoded_claims=token), [CLUSTER.public_key])


def test_token_with_a_forged_signature() -> None:
    inv = _signed()
    head, body, _ = inv.encoded_claims.split(".")
    other = antiforgery.sign(ACTOR, PROVIDER, OPERATION, MSG, KeyPair.create(KeyType.CLUSTER), HOST_ID)
    forged = f"{head}.{body}.{other.encoded_claims.split('.')[2]}"
    assert forged != inv.encoded_claims
    with pytest.raises(BadInvocationToken):
        antiforgery.validate(msgspec.structs.replace(inv, encoded_claims=forged), [CLUSTER.public_key])


def test_actor_claims_are_not_an_invocation_token() -> None:
    account = KeyPair.create(KeyType.ACCOUNT)
    actor_claims = Claims(account.public_key, ACTOR_KEY, 1, "j", ActorMetadata(name="x", hash="AB"))
    inv = msgspec.structs.replace(_signed(), encoded_claims=jwt.encode(actor_claims, account))
    with pytest.raises(BadInvocationToken):
        antiforgery.validate(inv, [account.public_key])


def test_expired_invocation_token() -> None:
    inv = _signed()
    meta = InvocationMetadata(
        target_url=antiforgery.target_url(PROVIDER, OPERATION),
        origin_url=ACTOR.url(),
        hash=antiforgery.invocation_hash(ACTOR, PROVIDER, OPERATION, MSG),
    )
    now = int(time.time())
    expired = Claims(CLUSTER.public_key, inv.id, now - 100, "j", meta, expires=now - 10)
    with pytest.raises(BadInvocationToken, match="expired"):
        antiforgery.validate(
            msgspec.structs.replace(inv, encoded_claims=jwt.encode(expired, CLUSTER)), [CLUSTER.public_key]
        )


def test_host_id_that_is_neither_a_host_nor_a_key() -> None:
    inv = msgspec.structs.replace(_signed(), host_id="bogus")
    with pytest.raises(BadInvocationToken, match="host id"):
        antiforgery.validate(inv, [CLUSTER.public_key])


def test_chunked_invocation_validates_before_and_after_fetching_the_payload() -> None:
    big = b"x" * 5000
    inv = _signed(big, chunked=True)
    antiforgery.validate(inv, [CLUSTER.public_key])  # OTP skips the hash while msg is empty
    antiforgery.validate(inv, [CLUSTER.public_key], full_msg=big)
    with pytest.raises(InvocationTampered):
        antiforgery.validate(inv, [CLUSTER.public_key], full_msg=b"y" * 5000)


def test_errors_form_one_tree() -> None:
    for error in (UnknownIssuer, InvocationTampered, WrongTarget, BadInvocationToken):
        assert issubclass(error, ForgedInvocation)
    assert issubclass(ForgedInvocation, WireError)
