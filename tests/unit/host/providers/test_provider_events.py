"""Provider event builders: the data fields of docs/protocol.md §6."""

from __future__ import annotations

import pytest

from host.providers import events
from lattice.claims import Claims, ProviderMetadata


def claims(**changes: object) -> Claims[ProviderMetadata]:
    meta = ProviderMetadata(name="KV", capid="wasmcloud:keyvalue", vendor="v", rev=2, ver="1.2.3")
    base = Claims("Aissuer", "Vkey", 1_700_000_000, "jti", meta)
    return Claims(**{**base.__dict__, **changes})


def test_provider_started() -> None:
    data = events.provider_started(claims(expires=1_800_000_000), "python:kv", "default", "inst", {"a": "b"}, "Nhost")
    assert data == {
        "public_key": "Vkey",
        "image_ref": "python:kv",
        "link_name": "default",
        "contract_id": "wasmcloud:keyvalue",
        "instance_id": "inst",
        "annotations": {"a": "b"},
        "claims": {
            "issuer": "Aissuer",
            "tags": "",
            "name": "KV",
            "version": "1.2.3",
            "not_before_human": "never",
            "expires_human": "2027-01-15 08:00:00 UTC",
        },
        "host_id": "Nhost",
    }


def test_provider_stopped_and_start_failed() -> None:
    assert events.provider_stopped("V", "l", "c:d", "i", {}, "normal") == {
        "public_key": "V",
        "link_name": "l",
        "contract_id": "c:d",
        "instance_id": "i",
        "annotations": {},
        "reason": "normal",
    }
    assert events.provider_start_failed("ref", "l", "boom") == {
        "provider_ref": "ref",
        "link_name": "l",
        "error": "boom",
    }


@pytest.mark.parametrize(
    ("previous", "healthy", "name"),
    [
        (None, True, "health_check_passed"),
        (None, False, "health_check_failed"),
        (True, True, "health_check_status"),
        (False, False, "health_check_status"),
        (True, False, "health_check_failed"),
        (False, True, "health_check_passed"),
    ],
)
def test_health_event_name(previous: bool | None, healthy: bool, name: str) -> None:
    assert events.health_event_name(previous, healthy) == name
