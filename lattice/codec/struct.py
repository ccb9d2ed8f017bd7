"""``Struct``: the base of every payload type — declare the fields once, get encode, decode and error messages.

::

    class LaunchActorCommand(JsonPayload):
        WHAT = "launch actor command"
        actor_ref: Required[NonEmpty]
        count: Annotated[int, Meta(ge=1), hint("use stop actor to remove instances")] = 1
        annotations: Mapping[str, str] = {}
        host_id: str = ""

Decoding tries msgspec's strict typed decode first and falls back to the lenient path (:mod:`lattice.codec.lenient`)
only when that fails; both give the same value for what both accept. Encoding is msgspec's, through a generated wire
twin when the wire form differs from the declaration (key order, omitted or computed fields).
"""

from __future__ import annotations

from typing import Any, ClassVar, Self, cast

import msgspec

from lattice.codec.errors import MalformedPayload
from lattice.codec.formats import DEFAULT_MAX_MESSAGE_BYTES, JSON, MSGPACK, Format, Raw
from lattice.codec.lenient import Ctx, struct_from_body
from lattice.codec.plan import PLANS, plan_of

# anything the strict decode refuses goes to the lenient path, which has the last word (and the error message)
FAST_PATH_MISSES = (msgspec.MsgspecError, ValueError, TypeError, RecursionError)


class Struct(msgspec.Struct, frozen=True):
    """A payload type. Subclasses set ``WHAT`` (its name in errors), ``FORMAT``, ``MALFORMED`` (the error it raises)
    and, when the wire's key order differs from the constructor's, ``WIRE_ORDER`` (which may name properties, sent as
    computed fields)."""

    WHAT: ClassVar[str] = ""
    FORMAT: ClassVar[Format] = MSGPACK
    MALFORMED: ClassVar[type[MalformedPayload]] = MalformedPayload
    WIRE_ORDER: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def what(cls) -> str:
        return cls.WHAT or cls.__name__

    def problem(self) -> str | None:
        """A rule across fields that the declarations cannot say; the text completes "<payload> …"."""
        return None

    # --- bytes in the type's own format ---------------------------------------------------------------------------

    def encode(self) -> bytes:
        return self.FORMAT.encoder.encode(plan_of(type(self)).wire_struct(self))

    @classmethod
    def decode(cls, data: Raw, *, max_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> Self:
        plan = PLANS.get(cls) or plan_of(cls)
        if plan.own_fast is not None:  # the hot path, kept short: strict decode, then any cross-field rule
            try:
                if len(data) <= max_bytes:
                    obj = plan.own_fast(data)
                    if not plan.checks or obj.problem() is None:
                        return cast(Self, obj)
            except FAST_PATH_MISSES:
                pass
        return cls._lenient(data, cls.FORMAT, max_bytes)

    # --- either format, for the types that travel in both (LinkDefinition) -----------------------------------------

    def encode_msgpack(self) -> bytes:
        return MSGPACK.encoder.encode(plan_of(type(self)).wire_struct(self))

    def encode_json(self) -> bytes:
        return JSON.encoder.encode(plan_of(type(self)).wire_struct(self))

    @classmethod
    def decode_msgpack(cls, data: Raw, *, max_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> Self:
        return cls._decode(data, MSGPACK, max_bytes)

    @classmethod
    def decode_json(cls, data: Raw, *, max_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> Self:
        return cls._decode(data, JSON, max_bytes)

    # --- plain values (maps, lists, str, bytes, numbers) -----------------------------------------------------------

    def to_wire(self) -> dict[str, Any]:
        """The wire form as plain values (maps, lists, str, bytes, numbers), as a peer decodes it."""
        return cast(dict[str, Any], msgspec.msgpack.decode(self.encode_msgpack()))

    @classmethod
    def from_wire(cls, body: Any, what: str | None = None) -> Self:
        """From a map already decoded (leniently, as the fallback path does)."""
        return cast(Self, struct_from_body(cls, body, what or cls.what(), Ctx(cls.FORMAT, cls.MALFORMED)))

    @classmethod
    def _decode(cls, data: Raw, fmt: Format, max_bytes: int) -> Self:
        plan = plan_of(cls)
        if plan.fast:
            try:
                obj = plan.decoder(fmt).decode(data) if len(data) <= max_bytes else None
            except FAST_PATH_MISSES:
                obj = None
            if obj is not None and (not plan.checks or obj.problem() is None):
                return cast(Self, obj)
        return cls._lenient(data, fmt, max_bytes)

    @classmethod
    def _lenient(cls, data: Raw, fmt: Format, max_bytes: int) -> Self:
        error, what = cls.MALFORMED, cls.what()
        fmt.check(data, max_bytes, error, what)
        body = fmt.loads(data, what, max_bytes, error)
        return cast(Self, struct_from_body(cls, body, what, Ctx(fmt, error)))
