"""HTTP server settings of one link, parsed once into frozen dataclasses (docs/protocol.md §9.1).

Link values (keys case-insensitive): ``config_json`` (JSON text), ``config_b64`` (base64 of it) or ``config_file``
(path of a JSON file) hold ``{address, port, tls{cert_file, priv_key_file}, cors{allowed_origins, allowed_headers,
allowed_methods, exposed_headers, max_age_secs}, max_content_len, cache_control, readonly_mode, timeout_ms}``; the
top-level link values ``address`` (``IP:PORT``), ``port`` (binds 127.0.0.1 unless ``address`` names a host),
``max_content_len``, ``cache_control``, ``readonly_mode``, ``timeout_ms``, ``tls_cert_file`` and
``tls_priv_key_file`` override it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lattice.provider import LinkValues, ProviderConfigError
from lattice.provider.links import parse_bool

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_MAX_CONTENT_LEN = 10 * 1024 * 1024
MAX_TIMEOUT_MS = 600_000
DEFAULT_CORS_HEADERS = ("accept", "accept-language", "content-type", "content-language")
DEFAULT_CORS_METHODS = ("GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS")
DEFAULT_CORS_MAX_AGE_SECS = 300
_SIZE = re.compile(r"^\s*(\d+)\s*([kmgt]?)(i?b)?\s*$", re.IGNORECASE)
_ADDRESS = re.compile(r"^\[(?P<v6>[^\]]+)\]:(?P<v6port>\d+)$|^(?P<host>[^:\[\]]+):(?P<port>\d+)$")
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_size(text: str, what: str) -> int:
    """``"100M"``, ``"512k"``, ``"1GiB"``, ``"4096"``: binary multiples."""
    found = _SIZE.match(str(text))
    if not found:
        raise ProviderConfigError(f"{what} {text!r} is not a size like 512k, 10M or 1G")
    return int(found[1]) * _UNITS[found[2].lower()]


def parse_address(text: str, what: str) -> tuple[str, int]:
    """``IP:PORT`` or ``[IPv6]:PORT``."""
    found = _ADDRESS.match(text.strip())
    if not found:
        raise ProviderConfigError(f"{what} {text!r} must be IP:PORT, e.g. 127.0.0.1:8080 or [::1]:8080")
    return found["v6"] or found["host"], parse_port(found["v6port"] or found["port"], what)


def parse_port(text: Any, what: str) -> int:
    try:
        port = int(str(text).strip())
    except ValueError:
        raise ProviderConfigError(f"{what} {text!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise ProviderConfigError(f"{what} {port} is not a port in 1..65535")
    return port


def _str_list(value: Any, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProviderConfigError(f"{what} must be a list of strings")
    return tuple(value)


@dataclass(frozen=True)
class CorsSettings:
    """``allowed_origins`` empty means any origin."""

    allowed_origins: tuple[str, ...] = ()
    allowed_headers: tuple[str, ...] = DEFAULT_CORS_HEADERS
    allowed_methods: tuple[str, ...] = DEFAULT_CORS_METHODS
    exposed_headers: tuple[str, ...] = ()
    max_age_secs: int = DEFAULT_CORS_MAX_AGE_SECS

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> CorsSettings:
        def get(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
            return default if body.get(key) is None else _str_list(body[key], f"cors.{key}")

        max_age = body.get("max_age_secs", DEFAULT_CORS_MAX_AGE_SECS)
        if isinstance(max_age, bool) or not isinstance(max_age, int) or max_age < 0:
            raise ProviderConfigError("cors.max_age_secs must be a non-negative integer")
        return cls(
            allowed_origins=get("allowed_origins", ()),
            allowed_headers=tuple(h.lower() for h in get("allowed_headers", DEFAULT_CORS_HEADERS)),
            allowed_methods=tuple(m.upper() for m in get("allowed_methods", DEFAULT_CORS_METHODS)),
            exposed_headers=get("exposed_headers", ()),
            max_age_secs=max_age,
        )


@dataclass(frozen=True)
class TlsSettings:
    cert_file: Path
    priv_key_file: Path


@dataclass(frozen=True)
class HttpSettings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    tls: TlsSettings | None = None
    cors: CorsSettings = field(default_factory=CorsSettings)
    max_content_len: int = DEFAULT_MAX_CONTENT_LEN
    cache_control: str | None = None
    readonly_mode: bool = False
    timeout_ms: int | None = None

    @classmethod
    def parse(cls, values: LinkValues) -> HttpSettings:
        body = _lower_keys(_config_body(values))
        for key in ("address", "port", "max_content_len", "cache_control", "readonly_mode", "timeout_ms"):
            if key in values:
                body[key] = values[key]
        tls = _lower_keys(body.get("tls") or {})
        tls.update({k: values[f"tls_{k}"] for k in ("cert_file", "priv_key_file") if f"tls_{k}" in values})
        host, port = _bind(body)
        return cls(
            host=host,
            port=port,
            tls=_tls(tls),
            cors=CorsSettings.parse(_lower_keys(body.get("cors") or {})),
            max_content_len=parse_size(body.get("max_content_len", DEFAULT_MAX_CONTENT_LEN), "max_content_len"),
            cache_control=str(body["cache_control"]) if body.get("cache_control") else None,
            readonly_mode=_bool(body.get("readonly_mode", False), "readonly_mode"),
            timeout_ms=_timeout(body.get("timeout_ms")),
        )


def _lower_keys(body: Any) -> dict[str, Any]:
    if not isinstance(body, Mapping):
        raise ProviderConfigError(f"settings must be a JSON object, got {type(body).__name__}")
    return {str(k).lower(): v for k, v in body.items()}


def _config_body(values: LinkValues) -> Any:
    if "config_json" in values:
        return _json(values["config_json"], "config_json")
    if "config_b64" in values:
        try:
            text = base64.b64decode(values["config_b64"], validate=True).decode()
        except (binascii.Error, ValueError) as exc:
            raise ProviderConfigError(f"config_b64 is not base64 of UTF-8 JSON: {exc}") from exc
        return _json(text, "config_b64")
    if "config_file" in values:
        try:
            return _json(Path(values["config_file"]).read_text(encoding="utf-8"), "config_file")
        except OSError as exc:
            raise ProviderConfigError(f"cannot read config_file: {exc}") from exc
    return {}


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ProviderConfigError(f"{what} is not JSON: {exc}") from exc


def _bind(body: Mapping[str, Any]) -> tuple[str, int]:
    host, port = DEFAULT_HOST, DEFAULT_PORT
    if body.get("address"):
        host, port = parse_address(str(body["address"]), "address")
    if body.get("port") is not None:
        port = parse_port(body["port"], "port")
    return host, port


def _tls(body: Mapping[str, Any]) -> TlsSettings | None:
    cert, key = body.get("cert_file"), body.get("priv_key_file")
    if not cert and not key:
        return None
    if not cert or not key:
        raise ProviderConfigError("TLS needs both tls.cert_file and tls.priv_key_file")
    return TlsSettings(Path(str(cert)), Path(str(key)))


def _bool(value: Any, what: str) -> bool:
    return value if isinstance(value, bool) else parse_bool(str(value), what)


def _timeout(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        timeout = int(str(value))
    except ValueError:
        raise ProviderConfigError(f"timeout_ms {value!r} is not an integer") from None
    if not 1 <= timeout <= MAX_TIMEOUT_MS:
        raise ProviderConfigError(f"timeout_ms {timeout} is out of range [1, {MAX_TIMEOUT_MS}]")
    return timeout
