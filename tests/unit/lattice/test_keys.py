"""nkeys (docs/protocol.md §3): CRC-16/XMODEM, typed base32 names, seeds of every type, signatures, typed errors."""

from __future__ import annotations

import base64
import contextlib

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given
from hypothesis import strategies as st

from lattice import keys
from lattice.errors import LatticeError
from lattice.keys import KeyPair, KeyType

# CRC-16/XMODEM check values published with nats.java's NKeyTests (and the usual CRC catalogue: "123456789" → 0x31C3).
CRC_VECTORS = [
    (b"", 0x0000),
    (b"abc", 0x9DD6),
    (b"ABC", 0x3994),
    (b"This is a string", 0x21E3),
    (b"123456789", 0x31C3),
    (b"abcdefghijklmnopqrstuvwxyz0123456789", 0xCBDE),
    (b"\x7f", 0x8F78),
    (b"\x80", 0x9188),
    (b"\xff", 0x1EF0),
    (bytes([0x00, 0x01, 0x7D, 0x7E, 0x7F, 0x80, 0xFE, 0xFF]), 0xE26F),
]

# A user seed, its public key and a signature published by another nkeys implementation (mmmries/nkeys, Elixir).
ELIXIR_SEED = "SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU"
ELIXIR_PUBLIC = "UCK5N7N66OBOINFXAYC2ACJQYFSOD4VYNU6APEJTAVFZB2SVHLKGEW7L"
ELIXIR_NONCE = b"PXoWU7zWAMt75FY"
ELIXIR_SIGNATURE_B64 = "ZaAiVDgB5CeYoXoQ7cBCmq+ZllzUnGUoDVb8C7PilWvCs8XKfUchAUhz2P4BYAF++Dg3w05CqyQFRDiGL6LrDw=="

LETTERS = {
    KeyType.ACCOUNT: "A",
    KeyType.CLUSTER: "C",
    KeyType.MODULE: "M",
    KeyType.SERVER: "N",
    KeyType.OPERATOR: "O",
    KeyType.USER: "U",
    KeyType.SERVICE: "V",
    KeyType.CURVE: "X",
}

raw32 = st.binary(min_size=32, max_size=32)
key_types = st.sampled_from(list(KeyType))


def _raw_public(seed: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _replace_char(text: str, index: int) -> str:
    """The same string with one base32 character changed to another base32 character."""
    new = "B" if text[index] != "B" else "C"
    return text[:index] + new + text[index + 1 :]


@pytest.mark.parametrize(("data", "expected"), CRC_VECTORS)
def test_crc16_matches_published_xmodem_check_values(data: bytes, expected: int) -> None:
    assert keys.crc16(data) == expected


def test_every_key_type_has_the_protocol_prefix_letter() -> None:
    assert {kind: kind.letter for kind in KeyType} == LETTERS


@given(kind=key_types, raw=raw32)
def test_public_key_round_trip_for_every_type(kind: KeyType, raw: bytes) -> None:
    text = keys.encode_public(kind, raw)
    assert len(text) == keys.PUBLIC_KEY_LENGTH
    assert text[0] == LETTERS[kind]
    assert keys.decode_public(text) == (kind, raw)
    assert keys.decode_public(text, kind) == (kind, raw)
    assert keys.is_public_key(text, kind)


@given(kind=key_types, raw=raw32)
def test_seed_round_trip_for_every_type_module_seeds_included(kind: KeyType, raw: bytes) -> None:
    text = keys.encode_seed(kind, raw)
    assert len(text) == keys.SEED_LENGTH
    assert text[:2] == "S" + LETTERS[kind]
    assert keys.decode_seed(text) == (kind, raw)
    pair = KeyPair.from_seed(text, kind)
    assert pair.seed == text
    assert pair.public_key == keys.encode_public(kind, _raw_public(raw))


@given(raw=raw32)
def test_module_seed_reads_sm_and_loads(raw: bytes) -> None:
    seed = keys.encode_seed(KeyType.MODULE, raw)
    assert seed.startswith("SM")
    pair = KeyPair.from_seed(seed)
    assert pair.kind is KeyType.MODULE
    assert pair.public_key.startswith("M")


def test_known_vector_fixed_seed_gives_module_key_that_decodes_back() -> None:
    seed = bytes(range(32))
    pair = KeyPair.from_raw_seed(KeyType.MODULE, seed)
    assert pair.public_key.startswith("M")
    assert keys.decode_public(pair.public_key, KeyType.MODULE) == (KeyType.MODULE, _raw_public(seed))
    # The layout of docs/protocol.md §3 checked byte by byte: prefix 12<<3, the key, then the CRC little-endian.
    raw = base64.b32decode(pair.public_key)
    assert raw[0] == 96
    assert raw[1:33] == _raw_public(seed)
    assert int.from_bytes(raw[33:], "little") == keys.crc16(raw[:33])
    seed_raw = base64.b32decode(pair.seed + "======")
    assert seed_raw[:2] == bytes([144 | (96 >> 5), (96 & 31) << 3])
    assert seed_raw[2:34] == seed


def test_seed_and_signature_from_another_nkeys_implementation() -> None:
    pair = KeyPair.from_seed(ELIXIR_SEED)
    assert pair.kind is KeyType.USER
    assert pair.public_key == ELIXIR_PUBLIC
    signature = pair.sign(ELIXIR_NONCE)
    assert base64.b64encode(signature).decode() == ELIXIR_SIGNATURE_B64
    keys.verify(ELIXIR_PUBLIC, ELIXIR_NONCE, signature)


@pytest.mark.parametrize("index", [5, 20, 40, 54])
def test_changed_character_is_a_bad_checksum(index: int) -> None:
    public = KeyPair.create(KeyType.ACCOUNT).public_key
    with pytest.raises(keys.BadChecksumError):
        keys.decode_public(_replace_char(public, index))


def test_changed_seed_character_is_a_bad_checksum() -> None:
    seed = KeyPair.create(KeyType.MODULE).seed
    with pytest.raises(keys.BadChecksumError):
        keys.decode_seed(_replace_char(seed, 30))
    with pytest.raises(keys.BadChecksumError):
        KeyPair.from_seed(_replace_char(seed, 30))


def test_key_of_another_type_than_asked_is_a_bad_prefix() -> None:
    account = KeyPair.create(KeyType.ACCOUNT)
    with pytest.raises(keys.BadPrefixError, match="expected a user key"):
        keys.decode_public(account.public_key, KeyType.USER)
    with pytest.raises(keys.BadPrefixError, match="expected a module seed"):
        keys.decode_seed(account.seed, KeyType.MODULE)
    with pytest.raises(keys.BadPrefixError):
        KeyPair.from_public_key(account.public_key, KeyType.CLUSTER)
    assert not keys.is_public_key(account.public_key, KeyType.MODULE)


def test_unknown_prefix_byte_with_a_good_checksum_is_a_bad_prefix() -> None:
    body = bytes([1 << 3]) + bytes(32)  # 'B…' is no nkey type
    text = base64.b32encode(body + keys.crc16(body).to_bytes(2, "little")).decode()
    with pytest.raises(keys.BadPrefixError, match="unknown prefix"):
        keys.decode_public(text)
    assert keys.key_type_of(text) is None


def test_public_key_given_where_a_seed_is_expected_and_back() -> None:
    pair = KeyPair.create(KeyType.SERVER)
    with pytest.raises(keys.BadLengthError):
        keys.decode_seed(pair.public_key)
    with pytest.raises(keys.BadLengthError):
        keys.decode_public(pair.seed)


def test_36_bytes_not_starting_with_the_seed_prefix_is_a_bad_prefix() -> None:
    body = bytes([0, 0]) + bytes(32)
    text = base64.b32encode(body + keys.crc16(body).to_bytes(2, "little")).decode().rstrip("=")
    with pytest.raises(keys.BadPrefixError, match="not a seed"):
        keys.decode_seed(text)


@pytest.mark.parametrize("cut", [1, 8, 20])
def test_shortened_key_is_a_bad_length_or_encoding(cut: int) -> None:
    public = KeyPair.create(KeyType.CLUSTER).public_key
    with pytest.raises((keys.BadLengthError, keys.BadEncodingError)):
        keys.decode_public(public[:-cut])


def test_shortened_key_by_a_whole_base32_block_is_a_bad_length() -> None:
    public = KeyPair.create(KeyType.CLUSTER).public_key
    with pytest.raises(keys.BadLengthError, match="35"):
        keys.decode_public(public[:-8])


@pytest.mark.parametrize(
    "text",
    [
        "A0" + "A" * 54,  # '0' is not in the RFC 4648 alphabet
        "A1" + "A" * 54,
        "a" * 56,  # lowercase is refused
        "AÉ" + "A" * 54,  # not ASCII
        "A" * 55 + "8",
        "A" * 27 + " " + "A" * 28,
        "A",  # a lone character is no whole base32 quantum
    ],
)
def test_not_base32_is_a_bad_encoding(text: str) -> None:
    with pytest.raises(keys.BadEncodingError):
        keys.decode_public(text)


def test_non_text_key_is_a_bad_encoding() -> None:
    with pytest.raises(keys.BadEncodingError):
        keys.decode_public(b"ABC")  # type: ignore[arg-type]


@given(st.text(max_size=80))
def test_decoding_any_text_either_works_or_raises_an_nkey_error(text: str) -> None:
    for decode in (keys.decode_public, keys.decode_seed):
        with contextlib.suppress(keys.NKeyError):
            decode(text)


def test_encoders_refuse_wrong_sizes() -> None:
    with pytest.raises(keys.BadLengthError):
        keys.encode_public(KeyType.ACCOUNT, bytes(31))
    with pytest.raises(keys.BadLengthError):
        keys.encode_seed(KeyType.ACCOUNT, bytes(33))


@given(kind=key_types, data=st.binary(max_size=256))
def test_sign_and_verify(kind: KeyType, data: bytes) -> None:
    pair = KeyPair.create(kind)
    signature = pair.sign(data)
    assert len(signature) == 64
    pair.verify(data, signature)
    keys.verify(pair.public_key, data, signature)
    KeyPair.from_public_key(pair.public_key).verify(data, signature)
    # an independent verifier agrees
    Ed25519PrivateKey.from_private_bytes(keys.decode_seed(pair.seed)[1]).public_key().verify(signature, data)
    with pytest.raises(keys.BadSignatureError):
        pair.verify(data + b"x", signature)


@given(seed=st.binary(min_size=32, max_size=32), data=st.binary(max_size=512))
def test_signatures_are_byte_identical_to_openssls(seed: bytes, data: bytes) -> None:
    """Signing moved from cryptography (OpenSSL) to PyNaCl (libsodium): Ed25519 is deterministic, so the bytes on the
    wire are the same, and each library verifies the other's signatures."""
    pair = KeyPair.from_raw_seed(KeyType.CLUSTER, seed)
    openssl = Ed25519PrivateKey.from_private_bytes(seed)
    assert pair.public_key == keys.encode_public(KeyType.CLUSTER, openssl.public_key().public_bytes_raw())
    assert pair.sign(data) == openssl.sign(data)
    keys.verify(pair.public_key, data, openssl.sign(data))
    openssl.public_key().verify(pair.sign(data), data)


def test_a_non_canonical_signature_is_refused_by_both_libraries() -> None:
    """S + L (the group order) verifies the same equation; both OpenSSL and libsodium refuse it as non-canonical."""
    pair = KeyPair.create(KeyType.CLUSTER)
    signature = pair.sign(b"data")
    order = 2**252 + 27742317777372353535851937790883648493
    s = int.from_bytes(signature[32:], "little") + order
    forged = signature[:32] + s.to_bytes(32, "little")
    with pytest.raises(keys.BadSignatureError):
        pair.verify(b"data", forged)
    openssl = Ed25519PrivateKey.from_private_bytes(keys.decode_seed(pair.seed)[1]).public_key()
    with pytest.raises(InvalidSignature):
        openssl.verify(forged, b"data")


def test_signature_by_another_key_does_not_verify() -> None:
    signer, other = KeyPair.create(KeyType.ACCOUNT), KeyPair.create(KeyType.ACCOUNT)
    with pytest.raises(keys.BadSignatureError):
        other.verify(b"data", signer.sign(b"data"))
    with pytest.raises(keys.BadSignatureError):
        signer.verify(b"data", b"\x00" * 64)
    with pytest.raises(keys.BadSignatureError):
        signer.verify(b"data", b"short")


def test_public_only_pair_cannot_sign_or_show_a_seed() -> None:
    public_only = KeyPair.from_public_key(KeyPair.create(KeyType.USER).public_key)
    assert not public_only.has_seed
    with pytest.raises(keys.NKeyError):
        public_only.sign(b"data")
    with pytest.raises(keys.NKeyError):
        _ = public_only.seed


def test_repr_does_not_show_the_seed() -> None:
    pair = KeyPair.create(KeyType.ACCOUNT)
    assert pair.seed not in repr(pair)
    assert pair.public_key in repr(pair)


@pytest.mark.parametrize(
    ("name", "kind"),
    [("module", KeyType.MODULE), ("M", KeyType.MODULE), (" Account ", KeyType.ACCOUNT), ("v", KeyType.SERVICE)],
)
def test_key_type_from_name(name: str, kind: KeyType) -> None:
    assert KeyType.from_name(name) is kind


def test_unknown_key_type_name_lists_the_choices() -> None:
    with pytest.raises(keys.BadPrefixError, match="account"):
        KeyType.from_name("bogus")


def test_every_nkey_error_is_a_lattice_error() -> None:
    for error in (keys.BadEncodingError, keys.BadLengthError, keys.BadChecksumError, keys.BadPrefixError):
        assert issubclass(error, keys.NKeyError)
    assert issubclass(keys.BadSignatureError, keys.NKeyError)
    assert issubclass(keys.NKeyError, LatticeError)
