"""The checks hosts and providers share on an inbound invocation: each step alone, then composed by ``admit``."""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
import pytest

from lattice import keys
from lattice.rpc import ChunkError, InvocationRejected
from lattice.rpc.inbound import (
    Recipient,
    Wording,
    admit,
    check_recipient,
    decode,
    fetch_payload,
    invocation_id_of,
    verify,
)
from lattice.wire import Invocation, WasmCloudEntity, antiforgery, pack

CLUSTER = keys.KeyPair.create(keys.KeyType.CLUSTER)
HOST = keys.KeyPair.create(keys.KeyType.SERVER).public_key
PROVIDER = keys.KeyPair.create(keys.KeyType.SERVICE).public_key
ACTOR = keys.KeyPair.create(keys.KeyType.MODULE).public_key
PLAIN = Wording()
TAGGED = Wording(malformed="M<{reason}>", payload="P<{reason}>", forged="F<{reason}>", wrong_key="K<{got}|{want}>")


def signed(msg: bytes = b"hello", key: keys.KeyPair = CLUSTER, link_name: str = "default") -> Invocation:
    target = WasmCloudEntity.provider(PROVIDER, "test:calc", link_name)
    return antiforgery.sign(WasmCloudEntity.actor(ACTOR), target, "Calc.Double", msg, key, HOST)


@dataclass
class Chunks:
    """A payload source that holds one payload, or fails like an unreachable object store."""

    payload: bytes | None

    async def receive_payload(self, inv: Invocation) -> bytes:
        if self.payload is None:
            raise ChunkError(f"could not fetch chunked payload {inv.id}: gone")
        return self.payload


def test_decode_round_trip() -> None:
    inv = signed()
    assert decode(inv.encode(), PLAIN) == inv


@pytest.mark.parametrize("data", [b"", b"\xc1", pack([1, 2, 3]), pack({"origin": 5})])
def test_decode_words_garbage_as_the_member_asks(data: bytes) -> None:
    with pytest.raises(InvocationRejected, match=r"^M<.+>$"):
        decode(data, TAGGED)


async def test_fetch_payload_words_a_chunk_failure() -> None:
    inv = signed()
    assert await fetch_payload(Chunks(b"full"), inv, TAGGED) == b"full"
    with pytest.raises(InvocationRejected, match=r"^P<could not fetch chunked payload .*: gone>$"):
        await fetch_payload(Chunks(None), inv, TAGGED)


def test_verify_accepts_a_trusted_signature_only() -> None:
    inv = signed()
    verify(inv, inv.msg, [CLUSTER.public_key], PLAIN)
    stranger = signed(key=keys.KeyPair.create(keys.KeyType.CLUSTER))
    with pytest.raises(InvocationRejected, match=r"^F<.*not a trusted cluster issuer>$"):
        verify(stranger, stranger.msg, [CLUSTER.public_key], TAGGED)


def test_verify_rejects_a_tampered_payload() -> None:
    inv = msgspec.structs.replace(signed(), msg=b"HELLO")
    with pytest.raises(InvocationRejected, match="hash does not match"):
        verify(inv, inv.msg, [CLUSTER.public_key], PLAIN)


def test_check_recipient_compares_key_then_link_name() -> None:
    check_recipient(signed(), Recipient(PROVIDER, "default"), PLAIN)
    check_recipient(signed(link_name=""), Recipient(PROVIDER, "other"), PLAIN)  # no link name: any
    with pytest.raises(InvocationRejected, match=rf"^K<{PROVIDER}\|{ACTOR}>$"):
        check_recipient(signed(), Recipient(ACTOR), TAGGED)
    with pytest.raises(InvocationRejected, match=r"^invocation is for link name 'default', not 'other'$"):
        check_recipient(signed(), Recipient(PROVIDER, "other"), PLAIN)


async def test_admit_returns_the_full_payload_of_a_genuine_invocation() -> None:
    inv = signed(b"small")
    assert await admit(inv, Chunks(b"small"), [CLUSTER.public_key], Recipient(PROVIDER), PLAIN) == b"small"
    with pytest.raises(InvocationRejected, match="hash does not match"):
        await admit(inv, Chunks(b"other"), [CLUSTER.public_key], Recipient(PROVIDER), PLAIN)
    with pytest.raises(InvocationRejected, match=r"^K<"):
        await admit(inv, Chunks(b"small"), [CLUSTER.public_key], Recipient(ACTOR), TAGGED)


def test_invocation_id_of_reads_what_it_can() -> None:
    assert invocation_id_of(pack({"id": "abc"})) == "abc"
    assert invocation_id_of(pack({"id": 7})) == ""
    assert invocation_id_of(pack([1])) == ""
    assert invocation_id_of(b"\xc1") == ""
