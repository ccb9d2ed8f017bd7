"""Custom sections of a wasm module: find, strip and embed the claims token (docs/protocol.md §2.3).

Only top-level sections are read, as wascap 0.11 does. The module hash is the uppercase-hex SHA-256 of the module
with every ``jwt``/``wasmcloud_jwt`` custom section deleted byte for byte.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from lattice.claims.errors import ModuleMalformed

WASM_MAGIC = b"\x00asm"
WASM_VERSION_1 = b"\x01\x00\x00\x00"
SECTION_NAME = "wasmcloud_jwt"
LEGACY_SECTION_NAME = "jwt"
TOKEN_SECTIONS = (SECTION_NAME, LEGACY_SECTION_NAME)
MAX_SECTION_ID = 13


@dataclass(frozen=True)
class Section:
    """One top-level section: its id, its byte span in the module, and (for custom sections) its name."""

    id: int
    start: int
    end: int
    payload_start: int
    name: str | None = None

    def payload(self, module: bytes) -> bytes:
        return module[self.payload_start : self.end]


def _read_leb_u32(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    for i in range(5):
        if pos >= len(data):
            raise ModuleMalformed("module is truncated inside a LEB128 number")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if i == 4:
            break
    raise ModuleMalformed("LEB128 number is longer than 5 bytes")


def encode_leb_u32(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def sections(module: bytes) -> list[Section]:
    """Parse the top-level sections of a core wasm module, checking every length."""
    if not isinstance(module, bytes | bytearray | memoryview):
        raise ModuleMalformed("a wasm module is bytes")
    module = bytes(module)
    if len(module) < 8 or module[:4] != WASM_MAGIC:
        raise ModuleMalformed("not a wasm module (no \\0asm magic)")
    if module[4:8] != WASM_VERSION_1:
        raise ModuleMalformed(f"unsupported wasm version {module[4:8].hex()} (only core modules, version 1)")
    found: list[Section] = []
    pos = 8
    while pos < len(module):
        start = pos
        section_id = module[pos]
        if section_id > MAX_SECTION_ID:
            raise ModuleMalformed(f"unknown section id {section_id} at byte {pos}")
        size, payload_start = _read_leb_u32(module, pos + 1)
        end = payload_start + size
        if end > len(module):
            raise ModuleMalformed(f"section at byte {start} runs past the end of the module")
        name = None
        if section_id == 0:
            name_len, name_start = _read_leb_u32(module, payload_start)
            if name_start + name_len > end:
                raise ModuleMalformed(f"custom section name at byte {start} runs past its section")
            try:
                name = module[name_start : name_start + name_len].decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ModuleMalformed(f"custom section name at byte {start} is not UTF-8") from exc
            payload_start = name_start + name_len
        found.append(Section(section_id, start, end, payload_start, name))
        pos = end
    return found


def find_token(module: bytes) -> str | None:
    """The embedded token (``wasmcloud_jwt`` preferred over legacy ``jwt``), or None for an unsigned module."""
    by_name = {s.name: s for s in sections(module) if s.name in TOKEN_SECTIONS}
    for name in TOKEN_SECTIONS:
        if name in by_name:
            raw = by_name[name].payload(module)
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ModuleMalformed(f"custom section {name!r} is not UTF-8") from exc
    return None


def strip_tokens(module: bytes) -> bytes:
    """The module with every token section deleted byte for byte."""
    out = bytearray(module[:8])
    for section in sections(module):
        if section.name not in TOKEN_SECTIONS:
            out += module[section.start : section.end]
    return bytes(out)


def module_hash(module: bytes) -> str:
    """Uppercase-hex SHA-256 of the module without its token sections."""
    return hashlib.sha256(strip_tokens(module)).hexdigest().upper()


def embed_token(module: bytes, token: str) -> bytes:
    """Strip any old token and append ``token`` as a ``wasmcloud_jwt`` custom section at the end."""
    name = SECTION_NAME.encode()
    body = encode_leb_u32(len(name)) + name + token.encode("utf-8")
    return strip_tokens(module) + b"\x00" + encode_leb_u32(len(body)) + body
