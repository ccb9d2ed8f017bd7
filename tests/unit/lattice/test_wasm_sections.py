"""Top-level wasm sections: parsing, finding/stripping/embedding the claims token, the hash (docs/protocol.md §2.3)."""

from __future__ import annotations

import hashlib
import itertools

import pytest
import wasmtime
from hypothesis import given
from hypothesis import strategies as st

from lattice.claims import wasm
from lattice.claims.errors import ModuleMalformed

WAT = """
(module
  (memory (export "memory") 1)
  (func $answer (export "answer") (result i32) i32.const 42)
  (data (i32.const 0) "hello"))
"""
MODULE = bytes(wasmtime.wat2wasm(WAT))
HEADER = b"\x00asm\x01\x00\x00\x00"


def _leb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _custom(name: str, payload: bytes) -> bytes:
    body = _leb(len(name.encode())) + name.encode() + payload
    return b"\x00" + _leb(len(body)) + body


def _valid(module: bytes) -> bool:
    try:
        wasmtime.Module.validate(wasmtime.Engine(), module)
    except wasmtime.WasmtimeError:
        return False
    return True


def test_sections_of_a_real_module_in_order_with_spans() -> None:
    found = wasm.sections(MODULE)
    assert [s.id for s in found] == [1, 3, 5, 7, 10, 11, 0]
    assert found[0].start == len(HEADER)
    assert found[-1].end == len(MODULE)
    assert all(a.end == b.start for a, b in itertools.pairwise(found))
    assert found[-1].name == "name"
    assert [s.name for s in found[:-1]] == [None] * 6
    data = next(s for s in found if s.id == 11)
    assert data.payload(MODULE).endswith(b"hello")


def test_unsigned_module_has_no_token_and_hashes_to_its_plain_sha256() -> None:
    assert wasm.find_token(MODULE) is None
    assert wasm.strip_tokens(MODULE) == MODULE
    assert wasm.module_hash(MODULE) == hashlib.sha256(MODULE).hexdigest().upper()


def test_embedded_token_is_the_last_section_and_the_module_stays_valid() -> None:
    signed = wasm.embed_token(MODULE, "a.b.c")
    assert signed == MODULE + _custom("wasmcloud_jwt", b"a.b.c")
    last = wasm.sections(signed)[-1]
    assert (last.id, last.name) == (0, wasm.SECTION_NAME)
    assert wasm.find_token(signed) == "a.b.c"
    assert wasm.module_hash(signed) == wasm.module_hash(MODULE)
    assert _valid(signed)


def test_embedding_again_replaces_the_old_token() -> None:
    twice = wasm.embed_token(wasm.embed_token(MODULE, "old.token.x"), "new.token.y")
    assert twice == MODULE + _custom("wasmcloud_jwt", b"new.token.y")
    assert [s.name for s in wasm.sections(twice)].count(wasm.SECTION_NAME) == 1


def test_legacy_jwt_section_is_read_and_stripped() -> None:
    legacy = MODULE + _custom("jwt", b"legacy.token.z")
    assert wasm.find_token(legacy) == "legacy.token.z"
    assert wasm.strip_tokens(legacy) == MODULE
    assert wasm.module_hash(legacy) == hashlib.sha256(MODULE).hexdigest().upper()


def test_wasmcloud_jwt_is_preferred_over_legacy_jwt() -> None:
    both = MODULE + _custom("jwt", b"legacy.token.z") + _custom("wasmcloud_jwt", b"new.token.y")
    assert wasm.find_token(both) == "new.token.y"
    assert wasm.strip_tokens(both) == MODULE


def test_token_section_in_the_middle_is_removed_byte_for_byte() -> None:
    sections = wasm.sections(MODULE)
    cut = sections[2].start
    middle = MODULE[:cut] + _custom("wasmcloud_jwt", b"x.y.z") + MODULE[cut:]
    assert wasm.strip_tokens(middle) == MODULE
    assert wasm.find_token(middle) == "x.y.z"


def test_other_custom_sections_count_in_the_hash() -> None:
    extra = MODULE + _custom("producers", b"\x00")
    assert wasm.module_hash(extra) == hashlib.sha256(extra).hexdigest().upper()
    assert wasm.module_hash(extra) != wasm.module_hash(MODULE)


def test_non_minimal_leb_sizes_are_kept_as_they_are() -> None:
    """Raw byte deletion (docs/protocol.md §2.3): a size written in 5 LEB bytes is parsed and hashed unchanged."""
    name = b"\x04note"
    padded = b"\x00" + bytes([0x80 | (len(name) + 2), 0x80, 0x80, 0x80, 0x00]) + name + b"hi"
    module = MODULE + padded
    assert wasm.sections(module)[-1].name == "note"
    signed = wasm.embed_token(module, "t.o.k")
    assert wasm.strip_tokens(signed) == module
    assert wasm.module_hash(signed) == hashlib.sha256(module).hexdigest().upper()


def test_large_token_uses_a_multi_byte_size() -> None:
    token = "h." + "x" * 70_000 + ".s"
    signed = wasm.embed_token(MODULE, token)
    assert wasm.find_token(signed) == token
    assert _valid(signed)


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_leb_encoding_is_minimal_and_reads_back(value: int) -> None:
    encoded = wasm.encode_leb_u32(value)
    assert encoded == _leb(value)
    assert wasm._read_leb_u32(encoded + b"\xff", 0) == (value, len(encoded))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "magic"),
        (b"\x00asm", "magic"),
        (b"\x7fELF\x02\x01\x01\x00", "magic"),
        (b"\x00asm\x0d\x00\x01\x00", "version"),  # a component, not a core module
        (HEADER + b"\x01", "truncated"),
        (HEADER + b"\x01\x10\x00", "past the end"),
        (HEADER + b"\x0e\x00", "unknown section id"),
        (HEADER + b"\x01\x80\x80\x80\x80\x80\x00", "longer than 5 bytes"),
        (HEADER + b"\x00\x02\x09ab", "name"),
        (HEADER + b"\x00\x03\x02\xff\xfe", "UTF-8"),
    ],
)
def test_malformed_modules_raise_module_malformed(data: bytes, message: str) -> None:
    with pytest.raises(ModuleMalformed, match=message):
        wasm.sections(data)


def test_truncated_signed_module_is_malformed() -> None:
    signed = wasm.embed_token(MODULE, "a.b.c")
    with pytest.raises(ModuleMalformed):
        wasm.find_token(signed[:-2])
    with pytest.raises(ModuleMalformed):
        wasm.module_hash(signed[: len(MODULE) - 3])


def test_non_utf8_token_is_malformed() -> None:
    with pytest.raises(ModuleMalformed, match="UTF-8"):
        wasm.find_token(MODULE + _custom("wasmcloud_jwt", b"\xff\xfe"))


def test_non_bytes_is_malformed() -> None:
    with pytest.raises(ModuleMalformed):
        wasm.sections("not bytes")  # type: ignore[arg-type]


@given(st.binary(max_size=200))
def test_any_bytes_after_the_header_parse_or_raise_module_malformed(tail: bytes) -> None:
    try:
        found = wasm.sections(HEADER + tail)
    except ModuleMalformed:
        return
    assert sum(s.end - s.start for s in found) == len(tail)


@given(st.integers(min_value=0, max_value=len(MODULE) + 20))
def test_any_truncation_of_a_signed_module_parses_or_raises_module_malformed(cut: int) -> None:
    signed = wasm.embed_token(MODULE, "a.b.c")
    boundaries = {len(HEADER)} | {s.end for s in wasm.sections(signed)}
    try:
        wasm.find_token(signed[:cut])
    except ModuleMalformed:
        assert cut not in boundaries
        return
    assert min(cut, len(signed)) in boundaries
