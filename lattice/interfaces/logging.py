"""``wasmcloud:builtin:logging`` (docs/protocol.md §9.4): ``Logging.WriteLog``, served by the host itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from lattice.interfaces._fields import WireStruct, as_map, get_str

CONTRACT_ID = "wasmcloud:builtin:logging"
WRITE_LOG = "Logging.WriteLog"
LEVELS = ("trace", "debug", "info", "warn", "error", "critical")


@dataclass(frozen=True)
class LogEntry(WireStruct):
    """``level`` is one of :data:`LEVELS` (OTP knows debug…error; the Rust host adds trace and critical)."""

    level: str
    text: str

    def to_wire(self) -> dict[str, Any]:
        return {"level": self.level, "text": self.text}

    @classmethod
    def from_wire(cls, body: Any) -> Self:
        m = as_map(body, "LogEntry")
        return cls(get_str(m, "level", "LogEntry"), get_str(m, "text", "LogEntry"))
