"""Provider events (docs/protocol.md §6) as pure builders of their ``data``; the supervisor publishes them by name."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from lattice.claims import ProviderClaims

PROVIDER_STARTED = "provider_started"
PROVIDER_STOPPED = "provider_stopped"
PROVIDER_START_FAILED = "provider_start_failed"
HEALTH_CHECK_PASSED = "health_check_passed"
HEALTH_CHECK_FAILED = "health_check_failed"
HEALTH_CHECK_STATUS = "health_check_status"
NEVER = "never"


def _human(stamp: int | None) -> str:
    return NEVER if stamp is None else time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(stamp))


def claims_summary(claims: ProviderClaims) -> dict[str, Any]:
    return {
        "issuer": claims.issuer,
        "tags": "",
        "name": claims.metadata.name or "",
        "version": claims.metadata.ver or "",
        "not_before_human": _human(claims.not_before),
        "expires_human": _human(claims.expires),
    }


def provider_started(
    claims: ProviderClaims,
    image_ref: str,
    link_name: str,
    instance_id: str,
    annotations: Mapping[str, str],
    host_id: str,
) -> dict[str, Any]:
    return {
        "public_key": claims.subject,
        "image_ref": image_ref,
        "link_name": link_name,
        "contract_id": claims.metadata.capid,
        "instance_id": instance_id,
        "annotations": dict(annotations),
        "claims": claims_summary(claims),
        "host_id": host_id,
    }


def provider_stopped(
    public_key: str, link_name: str, contract_id: str, instance_id: str, annotations: Mapping[str, str], reason: str
) -> dict[str, Any]:
    return {
        "public_key": public_key,
        "link_name": link_name,
        "contract_id": contract_id,
        "instance_id": instance_id,
        "annotations": dict(annotations),
        "reason": reason,
    }


def provider_start_failed(provider_ref: str, link_name: str, error: str) -> dict[str, Any]:
    return {"provider_ref": provider_ref, "link_name": link_name, "error": error}


def health_check(public_key: str, contract_id: str, link_name: str) -> dict[str, Any]:
    return {"public_key": public_key, "contract_id": contract_id, "link_name": link_name}


def health_event_name(previous: bool | None, healthy: bool) -> str:
    """``passed``/``failed`` on a change of state (the first check is a change), else ``status``."""
    if previous is healthy:
        return HEALTH_CHECK_STATUS
    return HEALTH_CHECK_PASSED if healthy else HEALTH_CHECK_FAILED
