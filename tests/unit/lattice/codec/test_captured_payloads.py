"""The payloads the test suite decoded before the codec changed, decoded again: the same values, the same refusals.

``captured_payloads.json`` holds what the existing tests fed to every ``decode``/``from_json``/``from_wire`` of the
wire, interface and control types (unit, integration, security suites), each with what the hand-written decoders of
before made of it: the value field by field, or the name of the error class. It was recorded by running the suites
against the previous code with the decoders wrapped, then sampled (up to 25 accepted and 8 refused per type and
entry point, 2 KiB at most).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import msgpack
import pytest

from tests.unit.lattice.codec.codec_types import fields_of, payload_types

CAPTURED = json.loads((Path(__file__).parent / "captured_payloads.json").read_text())
CLASSES = {cls.__name__: cls for cls in payload_types()}


def plain(value: Any) -> Any:
    """A decoded value as JSON-able data: structs as their fields, bytes as base64, tuples as lists."""
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float):
        return value
    return {"$type": type(value).__name__, **{f: plain(getattr(value, f)) for f in fields_of(value)}}


def replay(record: dict[str, Any]) -> Any:
    cls, via, data = CLASSES[record["type"]], record["via"], base64.b64decode(record["data"])
    if via == "from_json":
        arg: Any = json.loads(data)
    elif via == "from_wire":
        arg = msgpack.unpackb(data, raw=False, strict_map_key=False)
    else:
        arg = data
    try:
        return plain(getattr(cls, via)(arg))
    except Exception as exc:
        return {"$error": type(exc).__name__}


def test_the_capture_covers_every_kind_of_payload() -> None:
    assert len(CAPTURED) > 500
    assert len({r["type"] for r in CAPTURED}) >= 40
    assert {"decode", "decode_json", "decode_msgpack", "decode_line", "from_json", "from_wire"} <= {
        r["via"] for r in CAPTURED
    }
    assert sum("$error" in r["expect"] for r in CAPTURED) > 100


@pytest.mark.parametrize("group", sorted({(r["type"], r["via"]) for r in CAPTURED}), ids=lambda g: ".".join(g))
def test_captured_payloads_decode_as_before(group: tuple[str, str]) -> None:
    records = [r for r in CAPTURED if (r["type"], r["via"]) == group]
    for record in records:
        assert replay(record) == record["expect"], base64.b64decode(record["data"])[:200]
