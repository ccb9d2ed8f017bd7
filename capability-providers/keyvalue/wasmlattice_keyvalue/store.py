"""What a key-value backend offers: docs/protocol.md §9.2's operations with Redis semantics, one instance per link."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class KeyValueStore(Protocol):
    """Both backends implement this with the same behaviour; errors are :mod:`wasmlattice_keyvalue.errors`."""

    async def get(self, key: str) -> str | None:
        """The string at ``key``; None when absent or expired; WrongType for a list or set."""
        ...

    async def set(self, key: str, value: str, expires_s: int) -> None:
        """Store a string (replacing any kind of value); ``expires_s`` 0 means never."""
        ...

    async def delete(self, key: str) -> bool:
        """Remove a key of any kind; True when it existed."""
        ...

    async def contains(self, key: str) -> bool: ...

    async def increment(self, key: str, delta: int) -> int:
        """Atomically add ``delta`` to the integer at ``key`` (absent = 0), keeping its expiry."""
        ...

    async def list_add(self, name: str, value: str) -> int:
        """Append; returns the new length."""
        ...

    async def list_del(self, name: str, value: str) -> bool:
        """Remove the first occurrence; True when one was removed. An emptied list disappears."""
        ...

    async def list_range(self, name: str, start: int, stop: int) -> list[str]: ...

    async def set_add(self, name: str, value: str) -> int:
        """1 when added, 0 when already a member."""
        ...

    async def set_del(self, name: str, value: str) -> int:
        """1 when removed, 0 when not a member. An emptied set disappears."""
        ...

    async def set_members(self, name: str) -> list[str]:
        """Sorted members ([] when absent)."""
        ...

    async def set_union(self, names: Sequence[str]) -> list[str]: ...

    async def set_intersection(self, names: Sequence[str]) -> list[str]: ...

    async def close(self) -> None: ...
