"""``wasmcloud:builtin:logging`` (docs/protocol.md §9.4): ``Logging.WriteLog``, served by the host itself."""

from __future__ import annotations

from lattice.wire.codec import WireStruct

CONTRACT_ID = "wasmcloud:builtin:logging"
WRITE_LOG = "Logging.WriteLog"
LEVELS = ("trace", "debug", "info", "warn", "error", "critical")


class LogEntry(WireStruct, frozen=True):
    """``level`` is one of :data:`LEVELS` (OTP knows debug…error; the Rust host adds trace and critical)."""

    level: str
    text: str
