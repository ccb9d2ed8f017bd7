"""nkeys: Ed25519 keys with typed, checksummed base32 names (docs/protocol.md §3).

A public key reads ``base32(prefix ‖ key ‖ crc16)`` (56 characters); a seed reads
``base32(b1 ‖ b2 ‖ seed ‖ crc16)`` (58 characters, ``S`` then the type letter). Module seeds (``SM…``), which the
``nkeys`` package refuses, are handled like every other type.

Errors::

    LatticeError
    └── NKeyError                  a key or seed string is not a valid nkey
        ├── BadEncodingError       not base32, or not text
        ├── BadLengthError         wrong number of bytes once decoded
        ├── BadChecksumError       CRC-16/XMODEM does not match
        ├── BadPrefixError         unknown type, or not the type asked for
        └── BadSignatureError      an Ed25519 signature does not verify
"""

from __future__ import annotations

import base64
import binascii
import enum
import functools
import os
from dataclasses import dataclass

import nacl.bindings
import nacl.exceptions
import nacl.signing

from lattice.errors import LatticeError

SEED_PREFIX = 18 << 3
PUBLIC_KEY_LENGTH = 56
SEED_LENGTH = 58
DECODE_CACHE_SIZE = 4096


class NKeyError(LatticeError):
    """A key or seed string is not a valid nkey."""


class BadEncodingError(NKeyError):
    """The string is not base32 text."""


class BadLengthError(NKeyError):
    """The decoded key has the wrong number of bytes."""


class BadChecksumError(NKeyError):
    """The CRC-16 at the end of the key does not match its contents."""


class BadPrefixError(NKeyError):
    """The key is of an unknown type, or not of the type that was asked for."""


class BadSignatureError(NKeyError):
    """An Ed25519 signature does not verify with the key."""


class KeyType(enum.Enum):
    """The role of a key; the value is its prefix byte."""

    ACCOUNT = 0
    CLUSTER = 2 << 3
    MODULE = 12 << 3
    SERVER = 13 << 3
    OPERATOR = 14 << 3
    USER = 20 << 3
    SERVICE = 21 << 3
    CURVE = 23 << 3

    @property
    def letter(self) -> str:
        """The first character of a public key of this type."""
        return _LETTERS[self]

    @classmethod
    def from_name(cls, name: str) -> KeyType:
        """Parse ``account``, ``module``, ``A``, ``M`` … (case-insensitive)."""
        wanted = name.strip().lower()
        for kind in cls:
            if wanted in (kind.name.lower(), kind.letter.lower()):
                return kind
        names = ", ".join(k.name.lower() for k in cls if k is not KeyType.CURVE)
        raise BadPrefixError(f"unknown key type {name!r}: use one of {names}")


_LETTERS = {
    KeyType.ACCOUNT: "A",
    KeyType.CLUSTER: "C",
    KeyType.MODULE: "M",
    KeyType.SERVER: "N",
    KeyType.OPERATOR: "O",
    KeyType.USER: "U",
    KeyType.SERVICE: "V",
    KeyType.CURVE: "X",
}
_BY_PREFIX = {kind.value: kind for kind in KeyType}


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
        table.append(crc)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc16(data: bytes) -> int:
    """CRC-16/XMODEM: polynomial 0x1021, init 0, no reflection, no final xor (table-driven)."""
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC_TABLE[(crc >> 8) ^ byte]
    return crc


def _b32encode(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii").rstrip("=")


def _b32decode(text: str) -> bytes:
    if not isinstance(text, str):
        raise BadEncodingError(f"an nkey is text, not {type(text).__name__}")
    padded = text + "=" * (-len(text) % 8)
    try:
        return base64.b32decode(padded.encode("ascii"), casefold=False)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise BadEncodingError(f"not a base32 nkey: {text[:12]!r}…") from exc


def _with_crc(body: bytes) -> bytes:
    return body + crc16(body).to_bytes(2, "little")


def _checked(raw: bytes, length: int, what: str) -> bytes:
    if len(raw) != length:
        raise BadLengthError(f"{what} decodes to {len(raw)} bytes, expected {length}")
    body, crc = raw[:-2], int.from_bytes(raw[-2:], "little")
    if crc16(body) != crc:
        raise BadChecksumError(f"{what} has a bad checksum")
    return body


def encode_public(kind: KeyType, key: bytes) -> str:
    """Encode a 32-byte Ed25519 public key as a 56-character nkey."""
    if len(key) != 32:
        raise BadLengthError(f"a public key has 32 bytes, not {len(key)}")
    return _b32encode(_with_crc(bytes([kind.value]) + key))


def encode_seed(kind: KeyType, seed: bytes) -> str:
    """Encode a 32-byte Ed25519 seed as a 58-character ``S?…`` seed string."""
    if len(seed) != 32:
        raise BadLengthError(f"a seed has 32 bytes, not {len(seed)}")
    b1 = SEED_PREFIX | (kind.value >> 5)
    b2 = (kind.value & 31) << 3
    return _b32encode(_with_crc(bytes([b1, b2]) + seed))


@functools.lru_cache(maxsize=DECODE_CACHE_SIZE)
def _decode_public(text: str) -> tuple[KeyType, bytes]:
    body = _checked(_b32decode(text), 35, "public key")
    kind = _BY_PREFIX.get(body[0])
    if kind is None:
        raise BadPrefixError(f"public key has unknown prefix byte {body[0]}")
    return kind, body[1:]


def decode_public(text: str, expected: KeyType | None = None) -> tuple[KeyType, bytes]:
    """Decode a public nkey into its type and its 32 raw bytes (valid keys are cached; errors are not)."""
    if not isinstance(text, str):
        raise BadEncodingError(f"an nkey is text, not {type(text).__name__}")
    kind, raw = _decode_public(text)
    if expected is not None and kind is not expected:
        raise BadPrefixError(f"expected a {expected.name.lower()} key ({expected.letter}…), got {kind.letter}…")
    return kind, raw


@functools.lru_cache(maxsize=DECODE_CACHE_SIZE)
def public_key_object(public_key: str) -> nacl.signing.VerifyKey:
    """The verifying key of a public nkey (cached: hosts verify the same few issuers over and over)."""
    return nacl.signing.VerifyKey(decode_public(public_key)[1])


def verify_with(verifier: nacl.signing.VerifyKey, data: bytes, signature: bytes) -> None:
    """Verify an Ed25519 signature with a key from :func:`public_key_object`; raise :class:`BadSignatureError`.

    libsodium (PyNaCl) verifies in about half the time of OpenSSL (``cryptography``) on the hosts measured (ADR
    0011); it is also the stricter of the two (it refuses small-order keys and non-canonical encodings, which no honest
    signer produces). The tests check every signature against ``cryptography`` and PyJWT as well.
    """
    if len(signature) != nacl.bindings.crypto_sign_BYTES:
        raise BadSignatureError(f"an Ed25519 signature has 64 bytes, not {len(signature)}")
    try:
        verifier.verify(data, signature)
    except nacl.exceptions.BadSignatureError as exc:
        raise BadSignatureError("signature does not verify") from exc


def decode_seed(text: str, expected: KeyType | None = None) -> tuple[KeyType, bytes]:
    """Decode a seed string into its key type and the 32-byte Ed25519 seed."""
    body = _checked(_b32decode(text), 36, "seed")
    if body[0] & 0xF8 != SEED_PREFIX:
        raise BadPrefixError("not a seed: seeds start with 'S'")
    prefix = ((body[0] & 7) << 5) | ((body[1] & 0xF8) >> 3)
    kind = _BY_PREFIX.get(prefix)
    if kind is None:
        raise BadPrefixError(f"seed has unknown key type byte {prefix}")
    if expected is not None and kind is not expected:
        raise BadPrefixError(f"expected a {expected.name.lower()} seed (S{expected.letter}…), got S{kind.letter}…")
    return kind, body[2:]


def key_type_of(public_key: str) -> KeyType | None:
    """The type of a well-formed public key, or None when it is not one."""
    try:
        return decode_public(public_key)[0]
    except NKeyError:
        return None


def is_public_key(text: str, kind: KeyType) -> bool:
    """True when ``text`` is a valid public nkey of ``kind``."""
    return isinstance(text, str) and len(text) == PUBLIC_KEY_LENGTH and key_type_of(text) is kind


def verify(public_key: str, data: bytes, signature: bytes) -> None:
    """Verify an Ed25519 signature made by ``public_key``; raise :class:`BadSignatureError` if it fails."""
    verify_with(public_key_object(public_key), data, signature)


@dataclass(frozen=True)
class KeyPair:
    """An nkey with its seed (able to sign) or without (able to verify only)."""

    kind: KeyType
    public_key: str
    _seed: bytes | None = None

    @classmethod
    def create(cls, kind: KeyType) -> KeyPair:
        """A fresh random key pair of the given type."""
        return cls.from_raw_seed(kind, os.urandom(32))

    @classmethod
    def from_raw_seed(cls, kind: KeyType, seed: bytes) -> KeyPair:
        if len(seed) != 32:
            raise BadLengthError(f"a seed has 32 bytes, not {len(seed)}")
        public = bytes(nacl.signing.SigningKey(seed).verify_key)
        return cls(kind, encode_public(kind, public), seed)

    @classmethod
    def from_seed(cls, seed: str, expected: KeyType | None = None) -> KeyPair:
        """Load a key pair from an ``S?…`` seed string."""
        kind, raw = decode_seed(seed.strip(), expected)
        return cls.from_raw_seed(kind, raw)

    @classmethod
    def from_public_key(cls, public_key: str, expected: KeyType | None = None) -> KeyPair:
        kind, _ = decode_public(public_key, expected)
        return cls(kind, public_key)

    @property
    def has_seed(self) -> bool:
        return self._seed is not None

    @property
    def seed(self) -> str:
        """The seed string; only for pairs made from a seed."""
        if self._seed is None:
            raise NKeyError(f"key {self.public_key} has no seed")
        return encode_seed(self.kind, self._seed)

    def sign(self, data: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``data`` (deterministic: every implementation gives the same bytes)."""
        return self.signing_key().sign(data).signature

    def verify(self, data: bytes, signature: bytes) -> None:
        verify(self.public_key, data, signature)

    def signing_key(self) -> nacl.signing.SigningKey:
        """The signing key (made once per pair)."""
        if self._seed is None:
            raise NKeyError(f"key {self.public_key} has no seed, so it cannot sign")
        cached: nacl.signing.SigningKey | None = self.__dict__.get("_signing")
        if cached is None:
            cached = nacl.signing.SigningKey(self._seed)
            object.__setattr__(self, "_signing", cached)
        return cached

    def __repr__(self) -> str:
        return f"KeyPair({self.kind.name}, {self.public_key})"
