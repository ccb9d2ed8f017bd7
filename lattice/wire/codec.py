"""MessagePack helpers: named-field maps, tolerant decoding (str or bin for bytes, unknown keys ignored)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgpack

from lattice.wire.errors import MessageMalformed

DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024


def pack(value: Any) -> bytes:
    """Encode with str keys and bin for bytes (``use_bin_type``), as rmp_serde ``to_vec_named`` does."""
    return msgpack.packb(value, use_bin_type=True)  # type: ignore[no-any-return]


def unpack(data: bytes, *, max_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> Any:
    """Decode msgpack; str stays str, bin becomes bytes. Any failure is :class:`MessageMalformed`."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise MessageMalformed("a msgpack message is bytes")
    if len(data) > max_bytes:
        raise MessageMalformed(f"message of {len(data)} bytes exceeds the limit of {max_bytes}")
    try:
        # unpackb bounds every container and string by len(data) itself (max_buffer_size is an Unpacker option)
        return msgpack.unpackb(data, raw=False, strict_map_key=False)
    except (ValueError, TypeError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError) as exc:
        raise MessageMalformed(f"not valid msgpack: {exc}") from exc
    except Exception as exc:  # msgpack raises assorted errors on hostile input
        raise MessageMalformed(f"not valid msgpack: {type(exc).__name__}") from exc


def unpack_map(data: bytes, what: str, *, max_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> Mapping[str, Any]:
    value = unpack(data, max_bytes=max_bytes)
    if not isinstance(value, dict):
        raise MessageMalformed(f"{what} must be a msgpack map, got {type(value).__name__}")
    return value


def get_str(body: Mapping[str, Any], key: str, what: str, default: str = "") -> str:
    value = body.get(key, default)
    if value is None:
        return default
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MessageMalformed(f"{what}.{key} is not UTF-8") from exc
    if not isinstance(value, str):
        raise MessageMalformed(f"{what}.{key} must be a string, got {type(value).__name__}")
    return value


def get_bytes(body: Mapping[str, Any], key: str, what: str) -> bytes:
    """A byte field: bin, str (Elixir's Msgpax), or an empty array (OTP's error quirk)."""
    value = body.get(key, b"")
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, list) and all(isinstance(v, int) and 0 <= v < 256 for v in value):
        return bytes(value)
    raise MessageMalformed(f"{what}.{key} must be bytes, got {type(value).__name__}")


def get_uint(body: Mapping[str, Any], key: str, what: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MessageMalformed(f"{what}.{key} must be a non-negative integer")
    return value


def get_map(body: Mapping[str, Any], key: str, what: str) -> Mapping[str, Any]:
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MessageMalformed(f"{what}.{key} must be a map, got {type(value).__name__}")
    return value


def get_str_map(body: Mapping[str, Any], key: str, what: str) -> dict[str, str]:
    value = get_map(body, key, what)
    out: dict[str, str] = {}
    for k, v in value.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise MessageMalformed(f"{what}.{key} must map strings to strings")
        out[k] = v
    return out
