"""HostData (one base64 JSON line on a provider's stdin, §7.4) and the health-check messages (§8)."""

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
        values = {k: v for k, v in body.items() if k in known}
        try:
            values["cluster_issuers"] = tuple(body.get("cluster_issuers") or ())
            values["link_definitions"] = tuple(
                LinkDefinition.from_wire(ld) for ld in body.get("link_definitions") or ()
            )
            data = cls(**values)
        except TypeError as exc:
            raise MessageMalformed(f"host data lacks a field: {exc}") from exc
        for name in ("host_id", "lattice_rpc_prefix", "link_name", "provider_key"):
            if not isinstance(getattr(data, name), str) or not getattr(data, name):
                raise MessageMalformed(f"host data field {name!r} must be a non-empty string")
        return data

    @classmethod
    def decode_line(cls, line: bytes | str) -> HostData:
        raw = line.strip() if isinstance(line, bytes) else line.strip().encode()
        try:
            body = json.loads(base64.b64decode(raw, validate=True))
        except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
            raise MessageMalformed(f"host data is not base64 JSON: {exc}") from exc
        return cls.from_json(body)


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
