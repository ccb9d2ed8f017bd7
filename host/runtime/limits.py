"""Per-actor resource limits."""

from __future__ import annotations

import math
from dataclasses import dataclass

DEFAULT_MEMORY_BYTES = 128 * 1024 * 1024
"""Linear memory cap per instance (all memories of the instance together)."""
DEFAULT_DEADLINE_MS = 10_000
"""Wall-clock budget of one guest call, host calls included."""
DEFAULT_MAX_INSTANCES = 1
"""Instances per actor, which is also the number of calls one actor serves at the same time."""

WASM_PAGE_BYTES = 65_536


@dataclass(frozen=True)
class Limits:
    """What one actor may use. Validated on construction (``ValueError`` on nonsense)."""

    memory_bytes: int = DEFAULT_MEMORY_BYTES
    deadline_ms: int = DEFAULT_DEADLINE_MS
    max_instances: int = DEFAULT_MAX_INSTANCES

    def __post_init__(self) -> None:
        if self.memory_bytes < WASM_PAGE_BYTES:
            raise ValueError(f"memory_bytes must be at least one wasm page ({WASM_PAGE_BYTES})")
        if self.deadline_ms < 1:
            raise ValueError("deadline_ms must be at least 1")
        if self.max_instances < 1:
            raise ValueError("max_instances must be at least 1")

    def deadline_ticks(self, epoch_tick_ms: int) -> int:
        """Epoch ticks to allow one call: never less than ``deadline_ms``, at most one tick more."""
        return math.ceil(self.deadline_ms / epoch_tick_ms) + 1
