"""``wasmcloud:builtin:numbergen`` (docs/protocol.md §9.4): GUIDs and random numbers, served by the host itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from lattice.interfaces._fields import U32_MAX, WireStruct, as_map, get_int

CONTRACT_ID = "wasmcloud:builtin:numbergen"
GENERATE_GUID = "NumberGen.GenerateGuid"
RANDOM_IN_RANGE = "NumberGen.RandomInRange"
RANDOM_32 = "NumberGen.Random32"


@dataclass(frozen=True)
class RangeLimit(WireStruct):
    """An inclusive range ``[min, max]`` of u32 (both hosts implement it inclusive)."""

    min: int = 0
    max: int = U32_MAX

    def to_wire(self) -> dict[str, Any]:
        return {"min": self.min, "max": self.max}

    @classmethod
    def from_wire(cls, body: Any) -> Self:
        m = as_map(body, "RangeLimit")
        return cls(get_int(m, "min", "RangeLimit", 0, U32_MAX), get_int(m, "max", "RangeLimit", 0, U32_MAX, U32_MAX))
