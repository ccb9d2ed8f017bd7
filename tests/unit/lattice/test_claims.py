"""Actor claims (docs/protocol.md §2): sign → embed → extract → verify, every refusal with its own error, the three
token shapes, real tokens signed by wascap, and an independent cross-check of what ``lattice claims sign`` writes.

The ``ref_*`` helpers below are a second, deliberately separate implementation (stdlib + cryptography only, no project
code) of base32 nkeys, the section walk, the module hash and token signing, so the library is checked against it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import wasmtime
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from lattice import claims, keys
from lattice.claims import jwt, wasm
from lattice.claims.model import ActorMetadata, ProviderMetadata
from lattice.keys import KeyPair, KeyType

REPO_ROOT = Path(__file__).resolve().parents[3]
CLI_TIMEOUT_S = 60
MODULE = bytes(
    wasmtime.wat2wasm(
        '(module (memory (export "memory") 1) (func (export "answer") (result i32) i32.const 42 i32.const 1 i32.add))'
    )
)

# --- a reference implementation, independent of the project ---------------------------------------------------------

B32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
PREFIX_ACCOUNT, PREFIX_MODULE, PREFIX_SEED = 0, 12 << 3, 18 << 3
GOOD_HEADER = {"typ": "jwt", "alg": "Ed25519"}


def ref_crc16(data: bytes) -> int:
    crc = 0
    for byte in data:
        for bit in range(7, -1, -1):
            top = (crc >> 15) ^ ((byte >> bit) & 1)
            crc = ((crc << 1) & 0xFFFF) ^ (0x1021 if top else 0)
    return crc


def ref_b32encode(raw: bytes) -> str:
    bits = nbits = 0
    out = []
    for byte in raw:
        bits, nbits = (bits << 8) | byte, nbits + 8
        while nbits >= 5:
            nbits -= 5
            out.append(B32_ALPHABET[(bits >> nbits) & 31])
    if nbits:
        out.append(B32_ALPHABET[(bits << (5 - nbits)) & 31])
    return "".join(out)


def ref_b32decode(text: str) -> bytes:
    bits = nbits = 0
    out = bytearray()
    for char in text:
        bits, nbits = (bits << 5) | B32_ALPHABET.index(char), nbits + 5
        if nbits >= 8:
            nbits -= 8
            out.append((bits >> nbits) & 0xFF)
    return bytes(out)


def ref_public_key(prefix: int, raw: bytes) -> str:
    body = bytes([prefix]) + raw
    return ref_b32encode(body + ref_crc16(body).to_bytes(2, "little"))


def ref_seed(prefix: int, seed: bytes) -> str:
    body = bytes([PREFIX_SEED | (prefix >> 5), (prefix & 31) << 3]) + seed
    return ref_b32encode(body + ref_crc16(body).to_bytes(2, "little"))


def ref_decode_public(text: str) -> tuple[int, bytes]:
    raw = ref_b32decode(text)
    assert len(raw) == 35, "a public nkey is 35 bytes"
    assert int.from_bytes(raw[33:], "little") == ref_crc16(raw[:33]), "bad nkey checksum"
    return raw[0], raw[1:33]


def ref_raw_public(seed: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _ref_leb(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def ref_sections(module: bytes) -> Iterator[tuple[int, str | None, bytes, bytes]]:
    """(id, custom name, the whole section's bytes, the custom payload after the name)."""
    assert module[:8] == b"\x00asm\x01\x00\x00\x00"
    pos = 8
    while pos < len(module):
        size, start = _ref_leb(module, pos + 1)
        name, payload = None, module[start : start + size]
        if module[pos] == 0:
            name_len, name_start = _ref_leb(module, start)
            name = module[name_start : name_start + name_len].decode()
            payload = module[name_start + name_len : start + size]
        yield module[pos], name, module[pos : start + size], payload
        pos = start + size


def ref_module_hash(module: bytes) -> str:
    kept = b"".join(whole for _, name, whole, _ in ref_sections(module) if name not in ("jwt", "wasmcloud_jwt"))
    return hashlib.sha256(module[:8] + kept).hexdigest().upper()


def ref_custom(name: str, payload: bytes) -> bytes:
    body = bytes([len(name)]) + name.encode() + payload
    assert len(body) < 2**14
    size = bytes([len(body)]) if len(body) < 128 else bytes([0x80 | (len(body) & 0x7F), len(body) >> 7])
    return b"\x00" + size + body


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def ref_token(body: dict[str, Any], signer: Ed25519PrivateKey, header: dict[str, Any] | None = None) -> str:
    head = b64url(json.dumps(header or GOOD_HEADER, separators=(",", ":")).encode())
    claims_segment = b64url(json.dumps(body, separators=(",", ":")).encode())
    signature = signer.sign(f"{head}.{claims_segment}".encode())
    return f"{head}.{claims_segment}.{b64url(signature)}"


class RefAccount:
    """An account key made without project code."""

    def __init__(self) -> None:
        self.raw_seed = os.urandom(32)
        self.private = Ed25519PrivateKey.from_private_bytes(self.raw_seed)
        self.public_key = ref_public_key(PREFIX_ACCOUNT, ref_raw_public(self.raw_seed))
        self.seed = ref_seed(PREFIX_ACCOUNT, self.raw_seed)


# --- fixtures --------------------------------------------------------------------------------------------------------


@pytest.fixture
def account() -> KeyPair:
    return KeyPair.create(KeyType.ACCOUNT)


@pytest.fixture
def module_key() -> KeyPair:
    return KeyPair.create(KeyType.MODULE)


@pytest.fixture
def signed(account: KeyPair, module_key: KeyPair) -> bytes:
    spec = claims.ActorSpec("Echo", caps=["wasmcloud:httpserver"], tags=["demo"], rev=3, ver="0.1.0")
    module, _ = claims.sign_module(MODULE, spec, account, module_key)
    return module


def _token_of(module: bytes) -> str:
    token = wasm.find_token(module)
    assert token is not None
    return token


def _replace_token(module: bytes, token: str) -> bytes:
    return wasm.strip_tokens(module) + ref_custom("wasmcloud_jwt", token.encode())


# --- sign, embed, extract, verify ------------------------------------------------------------------------------------


def test_sign_embed_extract_verify(account: KeyPair, module_key: KeyPair) -> None:
    spec = claims.ActorSpec("Echo", caps=["wasmcloud:httpserver"], tags=["demo"], rev=3, ver="0.1.0")
    module, made = claims.sign_module(MODULE, spec, account, module_key)
    assert module.startswith(MODULE)
    found = claims.validate_module(module)
    assert found == made
    assert claims.read_claims(module) == made
    assert (found.issuer, found.subject) == (account.public_key, module_key.public_key)
    assert found.metadata == ActorMetadata(
        name="Echo", hash=ref_module_hash(module), tags=("demo",), caps=("wasmcloud:httpserver",), rev=3, ver="0.1.0"
    )
    assert found.metadata.hash == hashlib.sha256(MODULE).hexdigest().upper()
    assert found.wascap_revision == 3
    wasmtime.Module.validate(wasmtime.Engine(), module)


def test_signing_without_a_subject_makes_a_new_module_key(account: KeyPair) -> None:
    module, made = claims.sign_module(MODULE, claims.ActorSpec("x"), account)
    assert keys.is_public_key(made.subject, KeyType.MODULE)
    assert claims.validate_module(module).subject == made.subject


def test_resigning_replaces_the_token(signed: bytes, account: KeyPair) -> None:
    again, made = claims.sign_module(signed, claims.ActorSpec("Renamed"), account)
    assert [name for _, name, _, _ in ref_sections(again)].count("wasmcloud_jwt") == 1
    assert claims.validate_module(again).metadata.name == "Renamed"
    assert made.metadata.hash == ref_module_hash(signed)


def test_sign_refuses_wrong_key_types(account: KeyPair) -> None:
    with pytest.raises(keys.BadPrefixError):
        claims.sign_module(MODULE, claims.ActorSpec("x"), KeyPair.create(KeyType.MODULE))
    with pytest.raises(keys.BadPrefixError):
        claims.sign_module(MODULE, claims.ActorSpec("x"), account, KeyPair.create(KeyType.SERVICE))


def test_sign_refuses_a_non_wasm_file(account: KeyPair) -> None:
    with pytest.raises(claims.ModuleMalformed):
        claims.sign_module(b"#!/bin/sh\necho hi\n", claims.ActorSpec("x"), account)


def test_claims_are_serialised_in_wascap_order(account: KeyPair) -> None:
    spec = claims.ActorSpec(
        "n", caps=["c"], tags=["t"], rev=1, ver="v", call_alias="a", expires_in_s=9, not_before_in_s=1
    )
    module, _ = claims.sign_module(MODULE, spec, account)
    body = json.loads(unb64url(_token_of(module).split(".")[1]))
    assert list(body) == ["exp", "jti", "iat", "iss", "sub", "nbf", "wascap", "wascap_revision"]
    assert list(body["wascap"]) == ["name", "hash", "tags", "caps", "rev", "ver", "call_alias", "prov"]


# --- refusals --------------------------------------------------------------------------------------------------------


def test_one_changed_byte_in_the_code_section_is_a_hash_mismatch(signed: bytes) -> None:
    code = next(s for s in wasm.sections(signed) if s.id == 10)
    at = (code.payload_start + code.end) // 2
    altered = signed[:at] + bytes([signed[at] ^ 0x01]) + signed[at + 1 :]
    assert claims.read_claims(altered).metadata.hash == ref_module_hash(signed)  # the token itself is intact
    with pytest.raises(claims.ModuleHashMismatch):
        claims.validate_module(altered)


def test_a_section_added_after_signing_is_a_hash_mismatch(signed: bytes) -> None:
    with pytest.raises(claims.ModuleHashMismatch):
        claims.validate_module(signed + ref_custom("producers", b"\x00"))


def test_expired_token(account: KeyPair) -> None:
    spec = claims.ActorSpec("x", expires_in_s=60)
    module, _ = claims.sign_module(MODULE, spec, account, now=int(time.time()) - 3600)
    with pytest.raises(claims.TokenExpired, match="expired"):
        claims.validate_module(module)
    claims.validate_module(module, now=int(time.time()) - 3590)


def test_token_not_valid_yet(account: KeyPair) -> None:
    module, made = claims.sign_module(MODULE, claims.ActorSpec("x", not_before_in_s=3600), account)
    with pytest.raises(claims.TokenNotYetValid):
        claims.validate_module(module)
    assert made.not_before is not None
    claims.validate_module(module, now=made.not_before)


def test_tampered_claims_segment_is_a_bad_signature(signed: bytes) -> None:
    head, body, signature = _token_of(signed).split(".")
    changed = json.loads(unb64url(body))
    changed["wascap"]["caps"].append("wasmcloud:keyvalue")
    forged = f"{head}.{b64url(json.dumps(changed, separators=(',', ':')).encode())}.{signature}"
    with pytest.raises(claims.SignatureInvalid):
        jwt.decode(forged, ActorMetadata)
    with pytest.raises(claims.SignatureInvalid):
        claims.validate_module(_replace_token(signed, forged))


def test_tampered_signature_is_a_bad_signature(signed: bytes) -> None:
    head, body, signature = _token_of(signed).split(".")
    raw = bytearray(unb64url(signature))
    raw[5] ^= 0x40
    with pytest.raises(claims.SignatureInvalid):
        jwt.decode(f"{head}.{body}.{b64url(bytes(raw))}", ActorMetadata)


def test_token_signed_by_another_key_than_its_issuer_is_a_bad_signature() -> None:
    named, other = RefAccount(), RefAccount()
    body = {"jti": "j", "iat": 1, "iss": named.public_key, "sub": "MX", "wascap": {"hash": "AB"}}
    jwt.decode(ref_token(body, named.private), ActorMetadata)
    with pytest.raises(claims.SignatureInvalid):
        jwt.decode(ref_token(body, other.private), ActorMetadata)


@pytest.mark.parametrize(
    "header",
    [
        {"typ": "JWT", "alg": "Ed25519"},
        {"typ": "jwt", "alg": "EdDSA"},
        {"typ": "jwt", "alg": "none"},
        {"alg": "Ed25519"},
        {"typ": "jwt"},
    ],
)
def test_wrong_alg_or_typ_is_an_invalid_header(header: dict[str, Any]) -> None:
    issuer = RefAccount()
    body = {"jti": "j", "iat": 1, "iss": issuer.public_key, "sub": "MX", "wascap": {"hash": "AB"}}
    with pytest.raises(claims.TokenHeaderInvalid):
        jwt.decode(ref_token(body, issuer.private, header), ActorMetadata)


@pytest.mark.parametrize(
    "token",
    [
        "only.two",
        "a.b.c.d",
        "!!!.???.###",
        f"{b64url(b'not json')}.{b64url(b'{}')}.sig",
        f"{b64url(json.dumps(GOOD_HEADER).encode())}.{b64url(b'[1, 2]')}.sig",
        f"{b64url(json.dumps(GOOD_HEADER).encode())}.{b64url(b'{}')}.sig",
    ],
)
def test_malformed_tokens(token: str) -> None:
    with pytest.raises(claims.TokenMalformed):
        jwt.decode(token, ActorMetadata)


def test_claims_field_of_the_wrong_type_is_malformed() -> None:
    issuer = RefAccount()
    body = {"jti": "j", "iat": "yesterday", "iss": issuer.public_key, "sub": "MX", "wascap": {"hash": "AB"}}
    with pytest.raises(claims.TokenMalformed, match="iat"):
        jwt.decode(ref_token(body, issuer.private), ActorMetadata)


def test_truncated_module_is_malformed(signed: bytes) -> None:
    with pytest.raises(claims.ModuleMalformed):
        claims.validate_module(signed[: len(signed) - 10])


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04 a zip file", b"\x00asm\x02\x00\x00\x00"])
def test_non_wasm_is_malformed(data: bytes) -> None:
    with pytest.raises(claims.ModuleMalformed):
        claims.validate_module(data)


def test_unsigned_module() -> None:
    with pytest.raises(claims.ModuleUnsigned):
        claims.validate_module(MODULE)
    with pytest.raises(claims.ModuleUnsigned):
        claims.read_claims(MODULE + ref_custom("producers", b"\x00"))


def test_issuer_allow_list(signed: bytes, account: KeyPair) -> None:
    other = KeyPair.create(KeyType.ACCOUNT).public_key
    with pytest.raises(claims.IssuerNotAllowed):
        claims.validate_module(signed, allowed_issuers=[other])
    assert claims.validate_module(signed, allowed_issuers=[other, account.public_key]).issuer == account.public_key
    assert claims.validate_module(signed, allowed_issuers=[]).issuer == account.public_key


def test_subject_that_is_not_a_module_key_is_malformed() -> None:
    issuer = RefAccount()
    wascap = {"hash": ref_module_hash(MODULE)}
    body = {"jti": "j", "iat": 1, "iss": issuer.public_key, "sub": issuer.public_key, "wascap": wascap}
    module = MODULE + ref_custom("wasmcloud_jwt", ref_token(body, issuer.private).encode())
    with pytest.raises(claims.TokenMalformed, match="module key"):
        claims.validate_module(module)


def test_provider_claims_in_a_module_are_the_wrong_kind() -> None:
    issuer = RefAccount()
    body = {"jti": "j", "iat": 1, "iss": issuer.public_key, "sub": "VX", "wascap": {"capid": "wasmcloud:keyvalue"}}
    module = MODULE + ref_custom("wasmcloud_jwt", ref_token(body, issuer.private).encode())
    with pytest.raises(claims.WrongClaimsKind):
        claims.read_claims(module)


def test_every_claims_error_is_a_lattice_error() -> None:
    from lattice.errors import LatticeError

    assert issubclass(claims.ClaimsError, LatticeError)
    for error in (
        claims.TokenMalformed,
        claims.TokenHeaderInvalid,
        claims.SignatureInvalid,
        claims.TokenExpired,
        claims.TokenNotYetValid,
        claims.IssuerNotAllowed,
        claims.WrongClaimsKind,
        claims.ModuleMalformed,
        claims.ModuleUnsigned,
        claims.ModuleHashMismatch,
    ):
        assert issubclass(error, claims.ClaimsError)


# --- the three token shapes, and the legacy section ------------------------------------------------------------------

SHAPE_CAPS = ["wasmcloud:httpserver", "wasmcloud:builtin:logging"]
SHAPE_META = {
    "name": "Echo",
    "hash": ref_module_hash(MODULE),
    "tags": ["demo"],
    "caps": SHAPE_CAPS,
    "rev": 4,
    "ver": "0.3.4",
    "prov": False,
}


def _shapes(issuer: RefAccount, subject: str) -> dict[str, dict[str, Any]]:
    generic = {"jti": "sBO3abcdefghijklmnopqr", "iat": 1679578778, "iss": issuer.public_key, "sub": subject}
    return {
        "flat 2019": generic | SHAPE_META,
        "wascap without revision": generic | {"wascap": SHAPE_META},
        "current": generic | {"wascap": SHAPE_META, "wascap_revision": 3},
    }


def test_three_claims_shapes_decode_to_equal_metadata() -> None:
    issuer = RefAccount()
    subject = ref_public_key(PREFIX_MODULE, os.urandom(32))
    decoded = {
        name: jwt.decode(ref_token(body, issuer.private), ActorMetadata)
        for name, body in _shapes(issuer, subject).items()
    }
    expected = ActorMetadata(
        name="Echo",
        hash=ref_module_hash(MODULE),
        tags=("demo",),
        caps=tuple(SHAPE_CAPS),
        rev=4,
        ver="0.3.4",
    )
    assert {name: found.metadata for name, found in decoded.items()} == dict.fromkeys(decoded, expected)
    assert {(c.issuer, c.subject, c.issued_at) for c in decoded.values()} == {(issuer.public_key, subject, 1679578778)}
    assert [c.wascap_revision for c in decoded.values()] == [None, None, 3]


@pytest.mark.parametrize("section", ["wasmcloud_jwt", "jwt"])
@pytest.mark.parametrize("shape", ["flat 2019", "wascap without revision", "current"])
def test_hand_made_tokens_of_every_shape_validate_in_either_section(shape: str, section: str) -> None:
    issuer = RefAccount()
    subject = ref_public_key(PREFIX_MODULE, os.urandom(32))
    token = ref_token(_shapes(issuer, subject)[shape], issuer.private)
    module = MODULE + ref_custom(section, token.encode())
    found = claims.validate_module(module, allowed_issuers=[issuer.public_key])
    assert (found.subject, found.metadata.caps) == (subject, tuple(SHAPE_CAPS))


# Tokens signed by wascap itself (public sources): the wascap README sample (flat, 2019), the wascap jwt.rs test
# `ensure_jwt_valid_segments` (wascap object, no revision, 2022) and a wasmCloud secrets test (revision 3, 2024).
WASCAP_FLAT_2019 = (
    "eyJ0eXAiOiJqd3QiLCJhbGciOiJFZDI1NTE5In0.eyJqdGkiOiJDM3JzeWt2cHFxNFFpc1ZhQnd2MGU4IiwiaWF0IjoxNTc1NDkzMDE0LCJpc3Mi"
    "OiJBQUdSVVhYVEdTUDRDMjdSV1BUTUNIQ0pGNTZKRDUzRVFQQTJSN1JQQzVWSTRFMjc0S1BSTU1KNSIsInN1YiI6Ik1CSFJTSk9SQlhBUFJDQUxL"
    "NkVLT0JCQ05BUE1SVE02T0RMWE5MT1Y1VEtQRE1QWE1UQ01SNERXIiwiaGFzaCI6IjM4NTgwQjhCRkY3RjdDNTlBN0I0RENERTc4MTA5N0QxNzIz"
    "N0UwMkU3N0M5MjVGMUU0OURDN0QyMEFCNThBNEEiLCJ0YWdzIjpbXSwiY2FwcyI6WyJ3YXNjYzptZXNzYWdpbmciXX0.LC_zuDTItYME0xMNU0Pa"
    "4M6Aj5y1loF3BZUbWeMgFH3f0uhV0pUN6ZSkiA4n4vyRDV0gSwARTsXfQrvmfd4fDw"
)
WASCAP_NO_REVISION = (
    "eyJ0eXAiOiJqd3QiLCJhbGciOiJFZDI1NTE5In0.eyJqdGkiOiJTakI1Zm05NzRTanU5V01nVFVjaHNiIiwiaWF0IjoxNjQ0ODQzNzQzLCJpc3Mi"
    "OiJBQ09KSk42V1VQNE9ERDc1WEVCS0tUQ0NVSkpDWTVaS1E1NlhWS1lLNEJFSldHVkFPT1FIWk1DVyIsInN1YiI6Ik1CQ0ZPUE02SlcyQVBKTFhK"
    "RDNaNU80Q043Q1BZSjJCNEZUS0xKVVI1WVI1TUlUSVU3SEQzV0Q1Iiwid2FzY2FwIjp7Im5hbWUiOiJFY2hvIiwiaGFzaCI6IjRDRUM2NzNBN0RD"
    "Q0VBNkE0MTY1QkIxOTU4MzJDNzkzNjQ3MUNGN0FCNDUwMUY4MzdGOEQ2NzlGNDQwMEJDOTciLCJ0YWdzIjpbXSwiY2FwcyI6WyJ3YXNtY2xvdWQ6"
    "aHR0cHNlcnZlciJdLCJyZXYiOjQsInZlciI6IjAuMy40IiwicHJvdiI6ZmFsc2V9fQ.ZWyD6VQqzaYM1beD2x9Fdw4o_Bavy3ZG703Eg4cjhyJwUK"
    "LDUiVPVhqHFE6IXdV4cW6j93YbMT6VGq5iBDWmAg"
)
WASCAP_REVISION_3 = (
    "eyJ0eXAiOiJqd3QiLCJhbGciOiJFZDI1NTE5In0.eyJqdGkiOiJxdmVOakZjcW51dWhQaVJUMkU1YWJXIiwiaWF0IjoxNzIxODM0ODg5LCJpc3Mi"
    "OiJBQk9HQjRXNURPWDNVTzNSVldXUUdZU01WWEhSUFFZWFZaUDVVNFZGTUpEQ1lDV0FSN1M1Q1lNTyIsInN1YiI6Ik1DNUNDNFVENUxQRFo0QzdaTk"
    "FFQTRPWlEzQkVGTFNWUTc0MlczVEVUM09OS1M0RFJCVk5NNUlDIiwid2FzY2FwIjp7Im5hbWUiOiJodHRwLWhlbGxvLXdvcmxkIiwiaGFzaCI6IkNF"
    "OTAxOTJDOTlDMEIyQzYwOEIyRTJDQjYxOUE5MjUxRkI2ODE4NTZDMTU2ODFCMUJDRDYyRUVEQTJENTEyOEUiLCJ0YWdzIjpbIndhc21jbG91ZC5jb2"
    "0vZXhwZXJpbWVudGFsIl0sInJldiI6MCwidmVyIjoiMC4xLjAiLCJwcm92IjpmYWxzZX0sIndhc2NhcF9yZXZpc2lvbiI6M30.8awbkvrBnRKLpz88"
    "s7GXYCW0onpKf_nNfsj7pXhCyvq8pm4y2IotrIPCdBvWqDvDouX4VAM6DQQUHuI-VdKYAA"
)


@pytest.mark.parametrize("token", [WASCAP_FLAT_2019, WASCAP_NO_REVISION, WASCAP_REVISION_3])
def test_real_wascap_tokens_of_every_shape_verify(token: str) -> None:
    body = json.loads(unb64url(token.split(".")[1]))
    meta = body.get("wascap", body)
    found = jwt.decode(token, ActorMetadata)
    assert (found.issuer, found.subject, found.issued_at, found.id) == (
        body["iss"],
        body["sub"],
        body["iat"],
        body["jti"],
    )
    assert found.metadata.hash == meta["hash"]
    assert found.metadata.caps == (tuple(meta["caps"]) if "caps" in meta else None)
    assert found.metadata.tags == tuple(meta["tags"])
    assert found.wascap_revision == body.get("wascap_revision")


@pytest.mark.parametrize("token", [WASCAP_FLAT_2019, WASCAP_NO_REVISION, WASCAP_REVISION_3])
def test_real_wascap_tokens_refuse_one_changed_claims_byte(token: str) -> None:
    head, body, signature = token.split(".")
    raw = unb64url(body).replace(b'"iat":1', b'"iat":2', 1)
    with pytest.raises(claims.SignatureInvalid):
        jwt.decode(f"{head}.{b64url(raw)}.{signature}", ActorMetadata)


# --- call alias and revision -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alias", "expected"),
    [
        ("My Actor", "my_actor"),
        ("  Fancy-Actor.v2  ", "fancy_actor_v2"),
        ("Zürich Ünïcode", "zrich_ncode"),
        ("already_ok", "already_ok"),
        ("A.B-C D", "a_b_c_d"),
    ],
)
def test_call_alias_normalisation(alias: str, expected: str) -> None:
    assert claims.normalize_call_alias(alias) == expected


def test_signing_normalises_the_call_alias(account: KeyPair) -> None:
    module, made = claims.sign_module(MODULE, claims.ActorSpec("x", call_alias="Hello World-1.0"), account)
    assert made.metadata.call_alias == "hello_world_1_0"
    assert json.loads(unb64url(_token_of(module).split(".")[1]))["wascap"]["call_alias"] == "hello_world_1_0"


@pytest.mark.parametrize("rev", [None, 0])
def test_missing_or_zero_revision_becomes_issued_at(account: KeyPair, rev: int | None) -> None:
    module, made = claims.sign_module(MODULE, claims.ActorSpec("x", rev=rev), account, now=1_700_000_000)
    assert made.metadata.rev == rev
    assert claims.validate_module(module).metadata.rev == 1_700_000_000


def test_provider_claims_decode_from_a_real_wascap_token() -> None:
    token = (
        "eyJ0eXAiOiJqd3QiLCJhbGciOiJFZDI1NTE5In0.eyJqdGkiOiJncVJBY0ZIb0lKdW55TFpiMXozenNnIiwiaWF0IjoxNjA5OTQzMTkzLCJp"
        "c3MiOiJBQ09KSk42V1VQNE9ERDc1WEVCS0tUQ0NVSkpDWTVaS1E1NlhWS1lLNEJFSldHVkFPT1FIWk1DVyIsInN1YiI6IlZBSE5NMzdHNEFS"
        "SFozQ1lIQjNMMzRNNlRZUVdRUjZJWjRRVllDNE5ZWldUSkNKMkxXUDdTNloyIiwid2FzY2FwIjp7Im5hbWUiOiJOQVRTIFJlcGxpY2F0ZWQg"
        "SW4tTWVtb3J5IEtleS1WYWx1ZSBTdG9yZSIsImNhcGlkIjoid2FzbWNsb3VkOmtleXZhbHVlIiwidmVuZG9yIjoid2FzbUNsb3VkIiwicmV2"
        "IjoxLCJ2ZXIiOiIwLjEuMCIsInRhcmdldF9oYXNoZXMiOnt9fX0.NwDUQMl08RRMjcNrvKiTNKYyLahYrYtcIUIQiHzElOq7SJqtYh_YGVKN-64"
        "YYGHdSfwK1OK89arS9DGmW7YuCQ"
    )
    found = jwt.decode(token, ProviderMetadata)
    assert (found.metadata.capid, found.metadata.vendor, found.metadata.rev) == ("wasmcloud:keyvalue", "wasmCloud", 1)
    assert found.subject.startswith("V")
    with pytest.raises(claims.WrongClaimsKind):
        jwt.decode(token, ActorMetadata)


# --- independent cross-check of the CLI's output ---------------------------------------------------------------------


def test_cli_signed_module_verifies_with_an_independent_decoder(tmp_path: Path) -> None:
    issuer, module_seed = RefAccount(), os.urandom(32)
    source, output = tmp_path / "actor.wasm", tmp_path / "actor_s.wasm"
    source.write_bytes(MODULE)
    command = [sys.executable, "-m", "lattice.cli.main", "claims", "sign", str(source), "--issuer", issuer.seed]
    command += [
        "--subject",
        ref_seed(PREFIX_MODULE, module_seed),
        "--name",
        "Cross Check",
        "--cap",
        "wasmcloud:httpserver",
    ]
    command += ["--tag", "t1", "--rev", "7", "--ver", "1.2.3", "-o", str(output)]
    env = os.environ | {"WASMLATTICE_KEYS_DIR": str(tmp_path / "keys")}
    subprocess.run(command, check=True, capture_output=True, timeout=CLI_TIMEOUT_S, cwd=REPO_ROOT, env=env)
    signed = output.read_bytes()

    sections = list(ref_sections(signed))
    assert [name for _, name, _, _ in sections if name in ("jwt", "wasmcloud_jwt")] == ["wasmcloud_jwt"]
    assert sections[-1][1] == "wasmcloud_jwt"
    head, body_segment, signature = sections[-1][3].decode().split(".")
    assert unb64url(head) == b'{"typ":"jwt","alg":"Ed25519"}'
    body = json.loads(unb64url(body_segment))

    issuer_prefix, issuer_raw = ref_decode_public(body["iss"])
    assert (issuer_prefix, issuer_raw) == (PREFIX_ACCOUNT, ref_raw_public(issuer.raw_seed))
    Ed25519PublicKey.from_public_bytes(issuer_raw).verify(unb64url(signature), f"{head}.{body_segment}".encode())
    assert ref_decode_public(body["sub"]) == (PREFIX_MODULE, ref_raw_public(module_seed))

    assert body["wascap"]["hash"] == ref_module_hash(signed) == hashlib.sha256(MODULE).hexdigest().upper()
    assert list(body) == ["jti", "iat", "iss", "sub", "wascap", "wascap_revision"]
    assert body["wascap_revision"] == 3
    assert body["wascap"] == {
        "name": "Cross Check",
        "hash": body["wascap"]["hash"],
        "tags": ["t1"],
        "caps": ["wasmcloud:httpserver"],
        "rev": 7,
        "ver": "1.2.3",
        "prov": False,
    }
    assert abs(body["iat"] - time.time()) < CLI_TIMEOUT_S * 2
    assert len(body["jti"]) == 22
    assert signed.startswith(MODULE)
