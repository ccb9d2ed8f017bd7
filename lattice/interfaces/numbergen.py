"""``wasmcloud:builtin:numbergen`` (docs/protocol.md §9.4): GUIDs and random numbers, served by the host itself."""

from __future__ import annotations

from lattice.codec import U32, U32_MAX
from lattice.wire.codec import WireStruct

CONTRACT_ID = "wasmcloud:builtin:numbergen"
GENERATE_GUID = "NumberGen.GenerateGuid"
RANDOM_IN_RANGE = "NumberGen.RandomInRange"
RANDOM_32 = "NumberGen.Random32"


class RangeLimit(WireStruct, frozen=True):
    """An inclusive range ``[min, max]`` of u32 (both hosts implement it inclusive)."""

    min: U32 = 0
    max: U32 = U32_MAX
