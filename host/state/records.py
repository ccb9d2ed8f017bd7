"""The JSON values of the lattice bucket (docs/protocol.md §7.2): claims as flat string maps, refmaps.

``CLAIMS_{pk}`` holds ``{call_alias, iss, name, caps, rev, tags, version, sub, contract_id}`` — every value a string,
``caps``/``tags`` comma-joined, ``rev`` a decimal string (``iat`` when the claims carry none).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from host.state.errors import StateMalformed
from lattice.claims import ActorClaims, ProviderClaims

CLAIMS_FIELDS = ("call_alias", "iss", "name", "caps", "rev", "tags", "version", "sub", "contract_id")


def actor_claims_record(claims: ActorClaims) -> dict[str, str]:
    meta = claims.metadata
    return {
        "call_alias": meta.call_alias or "",
        "iss": claims.issuer,
        "name": meta.name or "",
        "caps": ",".join(meta.capabilities),
        "rev": str(meta.rev or claims.issued_at),
        "tags": ",".join(meta.tags or ()),
        "version": meta.ver or "",
        "sub": claims.subject,
        "contract_id": "",
    }


def provider_claims_record(claims: ProviderClaims) -> dict[str, str]:
    meta = claims.metadata
    record = {
        "call_alias": "",
        "iss": claims.issuer,
        "name": meta.name or "",
        "caps": "",
        "rev": str(meta.rev or claims.issued_at),
        "tags": "",
        "version": meta.ver or "",
        "sub": claims.subject,
        "contract_id": meta.capid,
    }
    if meta.config_schema is not None:
        record["config_schema"] = json.dumps(meta.config_schema, separators=(",", ":"))
    return record


def encode_record(record: Mapping[str, str]) -> bytes:
    return json.dumps(dict(record), separators=(",", ":")).encode()


def decode_claims_record(data: bytes) -> dict[str, str]:
    """A ``CLAIMS_`` value; non-string values are turned into strings (other writers may differ)."""
    body = _json_object(data, "claims")
    record = {str(k): _as_str(v) for k, v in body.items()}
    if not record.get("sub"):
        raise StateMalformed("claims record lacks 'sub'")
    return record


def caps_of(record: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(cap for cap in record.get("caps", "").split(",") if cap)


def refmap_record(image_ref: str, public_key: str) -> dict[str, str]:
    return {"oci_url": image_ref, "public_key": public_key}


def decode_refmap(data: bytes) -> str:
    """The public key a ``REFMAP_`` value maps to."""
    body = _json_object(data, "refmap")
    key = body.get("public_key")
    if not isinstance(key, str) or not key:
        raise StateMalformed("refmap record lacks a string 'public_key'")
    return key


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise StateMalformed(f"{what} record is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise StateMalformed(f"{what} record must be a JSON object")
    return body


def _as_str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return json.dumps(value) if isinstance(value, dict) else str(value)
