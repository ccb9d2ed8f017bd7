"""wascap JWTs (docs/protocol.md §2.1): ``{"typ":"jwt","alg":"Ed25519"}``, Ed25519 over ``header.claims`` by ``iss``.

The compact serialisation is written and read here directly (base64url without padding, Ed25519 from PyNaCl through
:mod:`lattice.keys`): every invocation is signed once and verified once, and PyJWT's JWS layer doubled the cost of a
verification (docs/adr/0002-claims-and-signing.md, docs/adr/0018-lean-lattice-path.md). The tests verify our tokens
with PyJWT (``cryptography`` underneath), with an ``Ed25519`` algorithm registered, as an independent check.
Structure, header and claims are checked before the signature, so every failure has its own exception.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import string
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import msgspec

from lattice import keys
from lattice.claims.errors import (
    IssuerNotAllowed,
    SignatureInvalid,
    TokenExpired,
    TokenHeaderInvalid,
    TokenMalformed,
    TokenNotYetValid,
)
from lattice.claims.model import Claims, M

ALGORITHM = "Ed25519"
HEADER = {"typ": "jwt", "alg": ALGORITHM}
MAX_TOKEN_LENGTH = 64 * 1024
SIGNATURE_LENGTH = 64
NUID_ALPHABET = string.ascii_letters + string.digits
NUID_LENGTH = 22

HEADER_SEGMENT = base64.urlsafe_b64encode(json.dumps(HEADER, separators=(",", ":")).encode()).rstrip(b"=").decode()

_URLSAFE_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_decode_json = msgspec.json.Decoder().decode  # UTF-8 JSON to Python values, as json.loads, at a third of its cost

_NUID_ACCEPT = 256 - 256 % len(NUID_ALPHABET)  # bytes below 248 map onto the alphabet without modulo bias
_NUID_TABLE = bytes(ord(NUID_ALPHABET[b % len(NUID_ALPHABET)]) for b in range(256))
_NUID_REJECT = bytes(range(_NUID_ACCEPT, 256))


def nuid() -> str:
    """A 22-character random id over ``[A-Za-z0-9]``, as wascap uses for ``jti``.

    One read of the OS random source (``secrets.choice`` per character read it 22 times, ~20 µs per token);
    bytes of 248 and above are dropped, so every character stays uniform.
    """
    out = b""
    while len(out) < NUID_LENGTH:
        out += secrets.token_bytes(NUID_LENGTH + 8).translate(_NUID_TABLE, _NUID_REJECT)
    return out[:NUID_LENGTH].decode("ascii")


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(segment: str, what: str) -> bytes:
    """Strict base64url without padding: any character outside the alphabet is refused (not skipped)."""
    if "=" in segment or "+" in segment or "/" in segment:
        raise TokenMalformed(f"token {what} is not base64url without padding")
    try:
        data = segment.encode("ascii").translate(_URLSAFE_TO_STANDARD)
        return binascii.a2b_base64(data + b"=" * (-len(data) % 4), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise TokenMalformed(f"token {what} is not base64url") from exc


def _json(segment: str, what: str) -> Any:
    try:
        return _decode_json(_b64decode(segment, what))
    except (UnicodeDecodeError, msgspec.DecodeError) as exc:
        raise TokenMalformed(f"token {what} is not JSON") from exc


@dataclass(frozen=True)
class RawToken:
    """A token split and parsed, not yet trusted."""

    token: str
    header: dict[str, Any]
    body: dict[str, Any]
    signing_input: bytes
    signature: str


def parse(token: str) -> RawToken:
    """Split a token and parse its header and body; check the header (steps 1–2 of docs/protocol.md §2.4)."""
    if not isinstance(token, str):
        raise TokenMalformed("a token is text")
    if len(token) > MAX_TOKEN_LENGTH:
        raise TokenMalformed(f"token is longer than {MAX_TOKEN_LENGTH} characters")
    token = token.strip()
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenMalformed(f"a token has 3 segments, this one has {len(parts)}")
    header = dict(HEADER) if parts[0] == HEADER_SEGMENT else _json(parts[0], "header")  # ours: known to be valid
    body = _json(parts[1], "claims")
    if not isinstance(header, dict) or not isinstance(body, dict):
        raise TokenMalformed("token header and claims must be JSON objects")
    if header.get("alg") != ALGORITHM or header.get("typ") != "jwt":
        raise TokenHeaderInvalid(
            f"token header must be typ 'jwt' and alg 'Ed25519', got typ {header.get('typ')!r} alg {header.get('alg')!r}"
        )
    return RawToken(token, header, body, token[: len(parts[0]) + 1 + len(parts[1])].encode("ascii"), parts[2])


def verify_signature(raw: RawToken) -> None:
    """Check that ``iss``/``sub`` are set and the signature verifies with ``iss`` (docs/protocol.md §2.4 steps 3–4)."""
    issuer, subject = raw.body.get("iss"), raw.body.get("sub")
    if not isinstance(issuer, str) or not issuer or not isinstance(subject, str) or not subject:
        raise TokenMalformed("token claims need a non-empty 'iss' and 'sub'")
    try:
        verifier = keys.public_key_object(issuer)
    except keys.NKeyError as exc:
        raise SignatureInvalid(f"token issuer is not a valid public key: {exc}") from exc
    signature = _b64decode(raw.signature, "signature")
    if len(signature) != SIGNATURE_LENGTH:
        raise SignatureInvalid(f"token signature has {len(signature)} bytes, an Ed25519 signature has 64")
    try:
        keys.verify_with(verifier, raw.signing_input, signature)
    except keys.BadSignatureError as exc:
        raise SignatureInvalid(f"token signature does not verify with issuer {issuer}") from exc


def decode(token: str, kind: type[M], *, verify: bool = True) -> Claims[M]:
    """Parse a token, verify its signature (unless ``verify`` is False) and type its claims."""
    raw = parse(token)
    if verify:
        verify_signature(raw)
    return Claims.from_json(raw.body, kind)


def encode(claims: Claims[M], issuer: keys.KeyPair) -> str:
    """Sign claims with the issuer's key; ``claims.issuer`` must be that key."""
    if claims.issuer != issuer.public_key:
        raise SignatureInvalid(f"claims name issuer {claims.issuer} but are signed by {issuer.public_key}")
    payload = json.dumps(claims.to_json(), separators=(",", ":"), ensure_ascii=False).encode()
    signing_input = f"{HEADER_SEGMENT}.{_b64encode(payload)}"
    return f"{signing_input}.{_b64encode(issuer.sign(signing_input.encode('ascii')))}"


def check_times(claims: Claims[Any], now: int | None = None) -> None:
    """Raise if the token is expired or not valid yet."""
    now = int(time.time()) if now is None else now
    if claims.expires is not None and claims.expires < now:
        raise TokenExpired(f"claims for {claims.subject} expired at {_iso(claims.expires)}")
    if claims.not_before is not None and now < claims.not_before:
        raise TokenNotYetValid(f"claims for {claims.subject} are not valid before {_iso(claims.not_before)}")


def check_issuer(claims: Claims[Any], allowed: Collection[str] | None) -> None:
    """Raise unless the issuer is in ``allowed`` (an empty or missing list allows every issuer)."""
    if allowed and claims.issuer not in allowed:
        raise IssuerNotAllowed(f"issuer {claims.issuer} is not in the allowed issuers")


def _iso(ts: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
