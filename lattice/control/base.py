"""The one shape every control payload shares: a JSON :class:`~lattice.codec.Struct` that refuses with
:class:`~lattice.control.errors.PayloadError`, plus ``to_json``/``from_json`` for plain JSON values."""

from __future__ import annotations

from typing import Any, Self

from lattice.codec import JSON, Struct
from lattice.codec.formats import loads_json
from lattice.codec.lenient import kind
from lattice.control.errors import PayloadError

JsonObject = dict[str, Any]


class JsonPayload(Struct, frozen=True):
    """A control-interface payload: compact UTF-8 JSON with the exact field names of the OTP host and ctl client."""

    WHAT = "payload"
    FORMAT = JSON
    MALFORMED = PayloadError

    def to_json(self) -> JsonObject:
        return self.to_wire()

    @classmethod
    def from_json(cls, body: Any) -> Self:
        return cls.from_wire(body)


def loads(data: bytes | str, what: str) -> JsonObject:
    """A JSON object from a message body (an empty body reads as ``{}``), or :class:`PayloadError`."""
    value = loads_json(data, what, PayloadError)
    if not isinstance(value, dict):
        raise PayloadError(f"{what} must be a JSON object, got {kind(value)}")
    return value


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON, the way the hosts send it."""
    return JSON.encoder.encode(value)
