"""The two encodings payloads travel in: MessagePack (RPC, interfaces) and compact UTF-8 JSON (control, HostData).

msgspec encodes, and decodes typed structs on the fast path. The lenient path reads the bytes into plain Python
values with the reference readers (msgpack-python, :mod:`json`), exactly as before, and converts them field by field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import msgpack
import msgspec

from lattice.codec.errors import MalformedPayload

DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024
Raw = bytes | bytearray | memoryview | str


def enc_hook(value: Any) -> Any:
    """Mappings and sequences msgspec does not know (e.g. ``MappingProxyType``) travel as maps and arrays."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return list(value)
    raise NotImplementedError(f"cannot encode {type(value).__name__}")


def pack(value: Any) -> bytes:
    """Encode any value: str keys, bin for bytes (as rmp_serde ``to_vec_named``)."""
    return _MSGPACK_ENCODER.encode(value)


def unpack(data: Any, *, max_bytes: int = DEFAULT_MAX_MESSAGE_BYTES, error: type[MalformedPayload]) -> Any:
    """Decode msgpack into plain values (str stays str, bin becomes bytes); any failure is ``error``."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise error("a msgpack message is bytes")
    if len(data) > max_bytes:
        raise error(f"message of {len(data)} bytes exceeds the limit of {max_bytes}")
    try:
        # unpackb bounds every container and string by len(data) itself (max_buffer_size is an Unpacker option)
        return msgpack.unpackb(data, raw=False, strict_map_key=False)
    except (ValueError, TypeError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError) as exc:
        raise error(f"not valid msgpack: {exc}") from exc
    except Exception as exc:  # msgpack raises assorted errors on hostile input
        raise error(f"not valid msgpack: {type(exc).__name__}") from exc


def loads_json(data: Any, what: str, error: type[MalformedPayload]) -> Any:
    """A JSON value from a message body; an empty body reads as ``{}``."""
    if not isinstance(data, bytes | bytearray | memoryview | str):
        raise error(f"{what} must be JSON text, got {type(data).__name__}")
    text = data if isinstance(data, str) else bytes(data)
    if not text.strip():
        return {}
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise error(f"{what} is not valid JSON: {exc}") from exc


@dataclass(frozen=True)
class Format:
    """One encoding: its msgspec encoder and decoder module, and how its lenient reader and messages work."""

    name: str
    map_word: str
    bin_is_text: bool
    encoder: msgspec.msgpack.Encoder | msgspec.json.Encoder

    def decoder(self, kind: Any) -> msgspec.msgpack.Decoder[Any] | msgspec.json.Decoder[Any]:
        if self is MSGPACK:
            return msgspec.msgpack.Decoder(kind)
        return msgspec.json.Decoder(kind)

    def check(self, data: Any, max_bytes: int, error: type[MalformedPayload], what: str) -> None:
        """Refuse what no decoder should see: not bytes (or JSON text), or more than ``max_bytes``."""
        if self is MSGPACK and not isinstance(data, bytes | bytearray | memoryview):
            raise error("a msgpack message is bytes")
        if not isinstance(data, bytes | bytearray | memoryview | str):
            raise error(f"{what} must be JSON text, got {type(data).__name__}")
        if len(data) > max_bytes:
            raise error(f"message of {len(data)} bytes exceeds the limit of {max_bytes}")

    def loads(self, data: Any, what: str, max_bytes: int, error: type[MalformedPayload]) -> Any:
        if self is MSGPACK:
            return unpack(data, max_bytes=max_bytes, error=error)
        return loads_json(data, what, error)


_MSGPACK_ENCODER = msgspec.msgpack.Encoder(enc_hook=enc_hook)
MSGPACK = Format("msgpack", "a msgpack map", True, _MSGPACK_ENCODER)
JSON = Format("json", "a JSON object", False, msgspec.json.Encoder(enc_hook=enc_hook))
