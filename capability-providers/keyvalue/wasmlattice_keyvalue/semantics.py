"""The reference (Redis) semantics both backends share: integer parsing, list ranges, set results."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from lattice.interfaces import I32_MAX, I32_MIN
from wasmlattice_keyvalue.errors import IncrementOverflow, NotAnInteger

_INTEGER = re.compile(r"^(0|-?[1-9][0-9]{0,18})$")


def parse_integer(text: str) -> int:
    """A stored integer: plain decimal of at most 19 digits, no '+', no leading zeros, no spaces (as INCRBY)."""
    if not _INTEGER.match(text):
        raise NotAnInteger()
    return int(text)


def incremented(current: str | None, delta: int) -> int:
    """``current + delta``, which must fit the interface's i32 (the reply type of KeyValue.Increment)."""
    result = (0 if current is None else parse_integer(current)) + delta
    if not I32_MIN <= result <= I32_MAX:
        raise IncrementOverflow()
    return result


def list_range(items: Sequence[str], start: int, stop: int) -> list[str]:
    """Redis LRANGE: inclusive bounds, negative indices count from the end, out-of-range bounds are clamped."""
    n = len(items)
    if start < 0:
        start = max(n + start, 0)
    if stop < 0:
        stop = n + stop
    stop = min(stop, n - 1)
    if start > stop or start >= n:
        return []
    return list(items[start : stop + 1])


def sorted_members(members: Iterable[str]) -> list[str]:
    """Set results are sorted, so both backends answer alike (Redis's own order is unspecified)."""
    return sorted(set(members))
