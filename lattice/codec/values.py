"""``ValueCodec``: the codec for a value that is not a struct — a handler's ``list[str]``, a map of structs, …"""

from __future__ import annotations

from typing import Any

import msgspec.inspect as mi

from lattice.codec.errors import MalformedPayload
from lattice.codec.formats import DEFAULT_MAX_MESSAGE_BYTES, MSGPACK, Format, Raw
from lattice.codec.lenient import SUPPORTED, Ctx, convert, describe
from lattice.codec.plan import fast_ok, wire_transform
from lattice.codec.struct import FAST_PATH_MISSES


def unsupported(t: mi.Type) -> str | None:
    """The first part of ``t`` the codec cannot carry (a union of two kinds, a set, …), or None."""
    if isinstance(t, mi.Metadata):
        return unsupported(t.type)
    if type(t) not in SUPPORTED:
        return type(t).__name__
    if isinstance(t, mi.UnionType) and len([u for u in t.types if not isinstance(u, mi.NoneType)]) != 1:
        return "a union of several kinds"
    if isinstance(t, mi.DictType) and not isinstance(t.key_type, mi.StrType):
        return "a map whose keys are not strings"
    parts = [getattr(t, name) for name in ("item_type", "key_type", "value_type") if hasattr(t, name)]
    if isinstance(t, mi.UnionType):
        parts = list(t.types)
    return next((found for found in map(unsupported, parts) if found is not None), None)


class ValueCodec:
    """Encode and decode values of one type; decoding is strict first, lenient second, like :class:`Struct`."""

    def __init__(
        self, kind: Any, what: str, fmt: Format = MSGPACK, error: type[MalformedPayload] = MalformedPayload
    ) -> None:
        self.info = mi.type_info(kind)
        problem = unsupported(self.info)
        if problem is not None:
            raise TypeError(f"{what}: the codec cannot carry {problem} ({kind!r})")
        self.what, self.fmt, self.error = what, fmt, error
        self.description = describe(self.info, fmt)
        self._decoder: Any = fmt.decoder(kind)
        self._fast = fast_ok(self.info)
        self._to_wire = wire_transform(self.info)

    def decode(self, data: Raw, *, max_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> Any:
        self.fmt.check(data, max_bytes, self.error, self.what)
        if self._fast:
            try:
                return self._decoder.decode(data)
            except FAST_PATH_MISSES:
                pass
        return self.from_value(self.fmt.loads(data, self.what, max_bytes, self.error))

    def from_value(self, value: Any) -> Any:
        """A plain value (as msgpack-python or json read it) checked and converted to the type."""
        return convert(value, self.info, self.what, Ctx(self.fmt, self.error))

    def encode(self, value: Any) -> bytes:
        return self.fmt.encoder.encode(value if self._to_wire is None else self._to_wire(value))
