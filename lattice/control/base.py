"""The one shape every control payload shares: ``to_json``/``from_json`` plus bytes ``encode``/``decode``."""

from __future__ import annotations

from typing import Any, ClassVar, Self

from lattice.control.fields import JsonObject, dumps, loads


class JsonPayload:
    """Mixin for frozen dataclasses; subclasses set ``WHAT`` (used in error messages) and the two converters."""

    WHAT: ClassVar[str] = "payload"

    def to_json(self) -> JsonObject:
        raise NotImplementedError

    @classmethod
    def from_json(cls, body: Any) -> Self:
        raise NotImplementedError

    def encode(self) -> bytes:
        return dumps(self.to_json())

    @classmethod
    def decode(cls, data: bytes | str) -> Self:
        return cls.from_json(loads(data, cls.WHAT))
