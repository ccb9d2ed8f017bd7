"""Every control-interface payload type (commands, requests, replies, events) decodes any bytes to a value or raises
:class:`PayloadError`; what decodes re-encodes to the same value. The host side of dispatch is covered by
tests/unit/host/control/test_control_dispatch.py; these are the shared decoders both sides (and the CLI) use."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lattice.control import LatticeEvent, PayloadError, commands, replies, requests
from lattice.control.base import JsonPayload

PAYLOADS: list[type[Any]] = sorted(
    {
        cls
        for module in (commands, replies, requests)
        for cls in vars(module).values()
        if isinstance(cls, type) and issubclass(cls, JsonPayload) and cls is not JsonPayload
    },
    key=lambda c: c.__name__,
)
FIELDS = ["accepted", "error", "actor_ref", "actor_id", "provider_ref", "link_name", "contract_id", "count",
          "annotations", "host_id", "constraints", "values", "timeout", "configuration", "new_actor_ref", "replicas",
          "key", "value", "id", "issuer", "labels", "friendly_name", "uptime_seconds", "cluster_issuers", "actors",
          "providers", "instances", "claims", "links", "specversion", "type", "source", "time", "data",
          "registryType", "username", "password", "token", "instance_id", "revision", "image_ref", "name"]  # fmt: skip
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
bodies = (
    st.binary(max_size=96)
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8).map(lambda d: json.dumps(d).encode())
)


def test_every_payload_type_is_covered() -> None:
    assert len(PAYLOADS) >= 20


@pytest.mark.parametrize("cls", [*PAYLOADS, LatticeEvent], ids=lambda c: c.__name__)
@settings(max_examples=60)
@given(data=bodies)
def test_decode_any_body_or_raise_payload_error(cls: type[Any], data: bytes) -> None:
    try:
        value = cls.decode(data)
    except PayloadError:
        return
    assert cls.decode(value.encode()) == value
