"""Reading JSON control payloads field by field: tolerant of what is missing or unknown, strict about types.

Every reader names the payload and the field in its :class:`PayloadError`, so a caller learns exactly what to fix.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from lattice.control.errors import PayloadError

JsonObject = dict[str, Any]


def loads(data: bytes | str, what: str) -> JsonObject:
    """A JSON object from a message body; an empty body reads as ``{}``."""
    if isinstance(data, bytes | bytearray) and not data.strip():
        return {}
    if isinstance(data, str) and not data.strip():
        return {}
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(f"{what} is not valid JSON: {exc}") from exc
    return as_object(value, what)


def dumps(value: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON, the way the hosts send it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def as_object(value: Any, what: str) -> JsonObject:
    if not isinstance(value, dict):
        raise PayloadError(f"{what} must be a JSON object, got {_kind(value)}")
    return value


def required_str(body: Mapping[str, Any], key: str, what: str) -> str:
    value = optional_str(body, key, what)
    if not value:
        raise PayloadError(f"{what} needs a non-empty string field {key!r}")
    return value


def optional_str(body: Mapping[str, Any], key: str, what: str, default: str = "") -> str:
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise PayloadError(f"{what}.{key} must be a string, got {_kind(value)}")
    return value


def nullable_str(body: Mapping[str, Any], key: str, what: str) -> str | None:
    """A string that may be absent or null (``None``), e.g. ``js_domain``."""
    return None if body.get(key) is None else optional_str(body, key, what)


def optional_int(body: Mapping[str, Any], key: str, what: str, *, numeric_str: bool = False) -> int | None:
    """A non-negative integer, or None when absent; ``numeric_str`` also accepts ``"3"`` (OTP 0.50's replicas)."""
    value = body.get(key)
    if value is None:
        return None
    if numeric_str and isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PayloadError(f"{what}.{key} must be a non-negative integer, got {_shown(value)}")
    return value


def int_or(body: Mapping[str, Any], key: str, what: str, default: int) -> int:
    found = optional_int(body, key, what)
    return default if found is None else found


def required_bool(body: Mapping[str, Any], key: str, what: str) -> bool:
    value = body.get(key)
    if not isinstance(value, bool):
        raise PayloadError(f"{what}.{key} must be true or false, got {_shown(value)}")
    return value


def str_map(body: Mapping[str, Any], key: str, what: str) -> dict[str, str]:
    """A map of strings to strings (labels, annotations, link values, constraints); absent or null is ``{}``."""
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise PayloadError(f"{what}.{key} must be an object of string values, got {_shown(value)}")
    return dict(value)


def object_list(body: Mapping[str, Any], key: str, what: str) -> list[JsonObject]:
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"{what}.{key} must be a list, got {_kind(value)}")
    return [as_object(item, f"{what}.{key}[{n}]") for n, item in enumerate(value)]


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number" if isinstance(value, int | float) else type(value).__name__)


def _shown(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."
