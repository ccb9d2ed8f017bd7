"""Built-in logging and numbergen (docs/protocol.md §9.4)."""

from __future__ import annotations

import logging
import uuid

import msgpack
import pytest

from host import builtins
from lattice.wire import pack

ACTOR = "MACTOR"


def test_write_log_prefixes_the_actor(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="host.actors.log"):
        out = builtins.handle(ACTOR, builtins.LOGGING, "Logging.WriteLog", pack({"level": "warn", "text": "hi there"}))
    assert out == b""
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [(logging.WARNING, "[MACTOR] hi there")]


def test_guid_is_a_uuid4_string() -> None:
    value = msgpack.unpackb(builtins.handle(ACTOR, builtins.NUMBERGEN, "NumberGen.GenerateGuid", b""))
    assert uuid.UUID(value).version == 4


def test_random_in_range_is_inclusive() -> None:
    limit = pack({"min": 3, "max": 4})
    seen = {
        msgpack.unpackb(builtins.handle(ACTOR, builtins.NUMBERGEN, "NumberGen.RandomInRange", limit))
        for _ in range(200)
    }
    assert seen == {3, 4}
    same = builtins.handle(ACTOR, builtins.NUMBERGEN, "NumberGen.RandomInRange", pack({"min": 7, "max": 7}))
    assert msgpack.unpackb(same) == 7


def test_random32_is_u32() -> None:
    value = msgpack.unpackb(builtins.handle(ACTOR, builtins.NUMBERGEN, "NumberGen.Random32", b""))
    assert 0 <= value < 2**32


@pytest.mark.parametrize(
    ("namespace", "operation", "payload", "fragment"),
    [
        (builtins.NUMBERGEN, "NumberGen.Nope", b"", "unknown operation NumberGen.Nope"),
        (builtins.NUMBERGEN, "NumberGen.RandomInRange", pack({"min": 5, "max": 1}), "greater than max"),
        (
            builtins.NUMBERGEN,
            "NumberGen.RandomInRange",
            pack({"min": -1, "max": 1}),
            r"RangeLimit\.min = -1 is out of range",
        ),
        (builtins.NUMBERGEN, "NumberGen.RandomInRange", b"\xc1", "not valid msgpack"),
        (builtins.LOGGING, "Logging.WriteLog", pack([1, 2]), "msgpack map"),
        (builtins.LOGGING, "Logging.WriteLog", pack({"level": 3, "text": "x"}), r"LogEntry\.level must be a string"),
    ],
)
def test_bad_calls_raise_clear_errors(namespace: str, operation: str, payload: bytes, fragment: str) -> None:
    with pytest.raises(builtins.BuiltinError, match=fragment):
        builtins.handle(ACTOR, namespace, operation, payload)
