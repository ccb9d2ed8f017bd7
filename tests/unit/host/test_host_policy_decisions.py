"""Policy replies: anything but a proper JSON answer is a denial that says why."""

from __future__ import annotations

import pytest

from host.policy import PolicyEntity, parse_decision


def test_permitted_reply() -> None:
    decision = parse_decision(b'{"permitted": true, "message": "ok", "requestId": "r"}', "r")
    assert (decision.permitted, decision.message, decision.request_id) == (True, "ok", "r")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [(b"nope", "not JSON"), (b"[]", "permitted"), (b'{"permitted": "yes"}', "permitted")],
)
def test_unusable_replies_deny(body: bytes, fragment: str) -> None:
    decision = parse_decision(body, "r")
    assert decision.permitted is False
    assert fragment in decision.message


def test_entity_json_uses_camel_case() -> None:
    entity = PolicyEntity("MKEY", "c:d", "default", ("x:y",), "AISS", "1", 5, False)
    assert entity.source_json() == {
        "publicKey": "MKEY",
        "contractId": "c:d",
        "linkName": "default",
        "capabilities": ["x:y"],
        "issuer": "AISS",
        "issuedOn": "1",
        "expiresAt": 5,
        "expired": False,
    }
    assert set(entity.target_json()) == {"publicKey", "contractId", "linkName", "issuer"}
