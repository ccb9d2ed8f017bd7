"""HostData (one base64 JSON line on a provider's stdin, docs/protocol.md §7.4) and the health-check messages (§8)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from lattice.wire.codec import get_str, pack, unpack_map
from lattice.wire.errors import MessageMalformed
from lattice.wire.linkdef import LinkDefinition

DEFAULT_RPC_TIMEOUT_MS = 2000


@dataclass(frozen=True)
class HostData:
    host_id: str
    lattice_rpc_prefix: str
    link_name: str
    provider_key: str
    invocation_seed: str
    lattice_rpc_url: str = "127.0.0.1:4222"
    lattice_rpc_user_jwt: str = ""
    lattice_rpc_user_seed: str = ""
    lattice_rpc_tls: bool = False
    cluster_issuers: tuple[str, ...] = ()
    env_values: Mapping[str, str] = field(default_factory=dict)
    instance_id: str = ""
    link_definitions: tuple[LinkDefinition, ...] = ()
    config_json: str | None = None
    default_rpc_timeout_ms: int = DEFAULT_RPC_TIMEOUT_MS
    js_domain: str | None = None
    structured_logging: bool = False
    log_level: str | None = None
    # wasmlattice extras (ignored by wasmbus-rpc providers): TLS files and a creds file for the provider's NATS
    lattice_rpc_tls_ca: str = ""
    lattice_rpc_creds_file: str = ""
    lattice_rpc_tls_cert: str = ""
    lattice_rpc_tls_key: str = ""

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["cluster_issuers"] = list(self.cluster_issuers)
        out["env_values"] = dict(self.env_values)
        out["link_definitions"] = [ld.to_wire() for ld in self.link_definitions]
        return out

    def encode_line(self) -> bytes:
        """base64 (standard, padded) of the JSON, then a newline."""
        return base64.b64encode(json.dumps(self.to_json(), separators=(",", ":")).encode()) + b"\n"

    @classmethod
    def from_json(cls, body: Any) -> HostData:
        if not isinstance(body, Mapping):
            raise MessageMalformed("host data must be a JSON object")
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in body.items() if k in known and v is not None}  # null means "use the default"
        issuers, links = body.get("cluster_issuers") or [], body.get("link_definitions") or []
        if not isinstance(issuers, list) or not all(isinstance(i, str) for i in issuers):
            raise MessageMalformed("host data field 'cluster_issuers' must be a list of strings")
        if not isinstance(links, list):
            raise MessageMalformed("host data field 'link_definitions' must be a list")
        values["cluster_issuers"] = tuple(issuers)
        values["link_definitions"] = tuple(LinkDefinition.from_wire(ld) for ld in links)
        try:
            data = cls(**values)
        except TypeError as exc:
            raise MessageMalformed(f"host data lacks a field: {exc}") from exc
        _check_types(data)
        return data

    @classmethod
    def decode_line(cls, line: bytes | str) -> HostData:
        raw = line.strip() if isinstance(line, bytes) else line.strip().encode()
        try:
            body = json.loads(base64.b64decode(raw, validate=True))
        except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
            raise MessageMalformed(f"host data is not base64 JSON: {exc}") from exc
        return cls.from_json(body)


_REQUIRED_TEXT = ("host_id", "lattice_rpc_prefix", "link_name", "provider_key")
_TEXT = ("invocation_seed", "lattice_rpc_url", "lattice_rpc_user_jwt", "lattice_rpc_user_seed", "instance_id")
_TEXT_EXTRAS = ("lattice_rpc_tls_ca", "lattice_rpc_creds_file", "lattice_rpc_tls_cert", "lattice_rpc_tls_key")
_OPTIONAL_TEXT = ("config_json", "js_domain", "log_level")


def _check_types(data: HostData) -> None:
    """Refuse fields of the wrong JSON type, so a bad line fails here and not later inside the provider."""
    for name in _REQUIRED_TEXT:
        if not isinstance(getattr(data, name), str) or not getattr(data, name):
            raise MessageMalformed(f"host data field {name!r} must be a non-empty string")
    for name in (*_TEXT, *_TEXT_EXTRAS, *_OPTIONAL_TEXT):
        value = getattr(data, name)
        if not isinstance(value, str) and not (value is None and name in _OPTIONAL_TEXT):
            raise MessageMalformed(f"host data field {name!r} must be a string")
    for name in ("lattice_rpc_tls", "structured_logging"):
        if not isinstance(getattr(data, name), bool):
            raise MessageMalformed(f"host data field {name!r} must be a boolean")
    timeout = data.default_rpc_timeout_ms
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 0:
        raise MessageMalformed("host data field 'default_rpc_timeout_ms' must be a non-negative integer")
    env = data.env_values
    if not isinstance(env, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
        raise MessageMalformed("host data field 'env_values' must map strings to strings")


HEALTH_REQUEST = pack({"placeholder": True})


@dataclass(frozen=True)
class HealthCheckResponse:
    healthy: bool
    message: str | None = None

    def encode(self) -> bytes:
        out: dict[str, Any] = {"healthy": self.healthy}
        if self.message is not None:
            out["message"] = self.message
        return pack(out)

    @classmethod
    def decode(cls, data: bytes) -> HealthCheckResponse:
        body = unpack_map(data, "health check response")
        healthy = body.get("healthy")
        if not isinstance(healthy, bool):
            raise MessageMalformed("health check response needs a boolean 'healthy'")
        message = body.get("message")
        return cls(healthy, None if message is None else get_str(body, "message", "health check response"))
