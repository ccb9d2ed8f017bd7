"""HostData (one base64 JSON line on a provider's stdin, docs/protocol.md §7.4) and the health-check messages (§8)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from lattice.codec import JSON, NonEmpty, Omit, Required, UInt, pack
from lattice.wire.codec import WireStruct
from lattice.wire.errors import MessageMalformed
from lattice.wire.linkdef import LinkDefinition

DEFAULT_RPC_TIMEOUT_MS = 2000


class HostData(WireStruct, frozen=True):
    """Every field is sent (null included); on arrival, null means the default and unknown fields are ignored."""

    WHAT = "host data"
    FORMAT = JSON
    host_id: NonEmpty
    lattice_rpc_prefix: NonEmpty
    link_name: NonEmpty
    provider_key: NonEmpty
    invocation_seed: Required[str]
    lattice_rpc_url: str = "127.0.0.1:4222"
    lattice_rpc_user_jwt: str = ""
    lattice_rpc_user_seed: str = ""
    lattice_rpc_tls: bool = False
    cluster_issuers: tuple[str, ...] = ()
    env_values: Mapping[str, str] = {}
    instance_id: str = ""
    link_definitions: tuple[LinkDefinition, ...] = ()
    config_json: str | None = None
    default_rpc_timeout_ms: UInt = DEFAULT_RPC_TIMEOUT_MS
    js_domain: str | None = None
    structured_logging: bool = False
    log_level: str | None = None
    # wasmlattice extras (ignored by wasmbus-rpc providers): TLS files and a creds file for the provider's NATS
    lattice_rpc_tls_ca: str = ""
    lattice_rpc_creds_file: str = ""
    lattice_rpc_tls_cert: str = ""
    lattice_rpc_tls_key: str = ""

    def to_json(self) -> dict[str, Any]:
        return self.to_wire()

    @classmethod
    def from_json(cls, body: Any) -> HostData:
        return cls.from_wire(body)

    def encode_line(self) -> bytes:
        """base64 (standard, padded) of the JSON, then a newline."""
        return base64.b64encode(self.encode()) + b"\n"

    @classmethod
    def decode_line(cls, line: bytes | str) -> HostData:
        raw = line.strip() if isinstance(line, bytes) else line.strip().encode()
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MessageMalformed(f"host data is not base64 JSON: {exc}") from exc
        return cls.decode(data)


HEALTH_REQUEST = pack({"placeholder": True})


class HealthCheckResponse(WireStruct, frozen=True):
    WHAT = "health check response"
    healthy: Required[bool]
    message: Omit[str | None] = None
