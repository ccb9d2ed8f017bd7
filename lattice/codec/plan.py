"""What the codec knows of one struct type, worked out once from its declaration.

For each field: wire name, type, flags (:mod:`lattice.codec.kinds`), default. For the type: whether msgspec may
decode it strictly first (``fast``), whether msgspec's own encoding is the wire form (``native``) or a generated
*wire twin* is encoded instead — a struct with the fields in ``WIRE_ORDER``, computed properties included, and the
fields marked ``Omit`` left out when unset.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec
import msgspec.inspect as mi

from lattice.codec import kinds
from lattice.codec.formats import Format

Transform = Callable[[Any], Any]
PLANS: dict[type, Plan] = {}


class _Always:
    """The twin's default of a field that is always sent: equal to nothing, so ``omit_defaults`` never drops it."""

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return "ALWAYS"


ALWAYS: Any = _Always()


@dataclass(frozen=True)
class FieldPlan:
    attr: str
    name: str
    type: mi.Type
    flags: Mapping[str, Any]
    has_default: bool

    @property
    def omit(self) -> bool:
        return bool(self.flags.get(kinds.OMIT))

    @property
    def required(self) -> bool:
        return bool(self.flags.get(kinds.REQUIRED))

    @property
    def empty_means(self) -> tuple[Any, ...]:
        """``(value,)`` when an empty string reads as ``value``, else ``()``."""
        return (self.flags[kinds.EMPTY_MEANS],) if kinds.EMPTY_MEANS in self.flags else ()

    @property
    def aliases(self) -> tuple[str, ...]:
        return tuple(self.flags.get(kinds.ALIASES, ()))


@dataclass
class Plan:
    cls: type[Any]
    fields: tuple[FieldPlan, ...]
    fast: bool
    native: bool
    checks: bool
    twin: Any = None  # the generated wire struct type, when not native
    getter: Any = None  # obj -> the twin's field values
    decoders: dict[str, Any] = field(default_factory=dict)
    own_fast: Any = None  # the strict decode in the type's own format, when ``fast``

    def to_twin(self, obj: Any) -> Any:
        return self.twin(*self.getter(obj))

    def wire_struct(self, obj: Any) -> Any:
        """What msgspec encodes for ``obj``: itself when native, else its wire twin."""
        return obj if self.native else self.to_twin(obj)

    def decoder(self, fmt: Format) -> Any:
        found = self.decoders.get(fmt.name)
        if found is None:
            found = self.decoders[fmt.name] = fmt.decoder(self.cls)
        return found


def plan_of(cls: type[Any]) -> Plan:
    plan = PLANS.get(cls)
    if plan is None:
        plan = PLANS[cls] = _build(cls)
    return plan


def _build(cls: type[Any]) -> Plan:
    from lattice.codec.struct import Struct

    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    fields = tuple(_field(cls, f) for f in info.fields)
    entries = _wire_entries(cls, fields)
    config = cls.__struct_config__
    native = [e[0] for e in entries] == [f.attr for f in fields] and all(
        e[3] is None and (e[2] is not ALWAYS) == (config.omit_defaults and f.has_default)
        for e, f in zip(entries, fields, strict=True)
    )
    plan = Plan(
        cls,
        fields,
        fast=all(fast_ok(f.type) for f in fields),
        native=native,
        checks=cls.problem is not Struct.problem,
    )
    if plan.fast:
        plan.own_fast = plan.decoder(cls.FORMAT).decode
    if not native:
        plan.twin = msgspec.defstruct(
            f"{cls.__name__}Wire",
            [(attr, Any, default) for attr, _, default, _ in entries],
            rename={attr: name for attr, name, _, _ in entries},
            omit_defaults=True,
        )
        plan.getter = _getter([(attr, fn) for attr, _, _, fn in entries])
    return plan


def _field(cls: type[Any], f: mi.Field) -> FieldPlan:
    flags = dict(f.type.extra or {}) if isinstance(f.type, mi.Metadata) else {}
    has_default = f.default is not msgspec.NODEFAULT or f.default_factory is not msgspec.NODEFAULT
    plan = FieldPlan(f.name, f.encode_name, f.type, flags, has_default)
    if plan.required and has_default:
        raise TypeError(f"{cls.__name__}.{f.name}: a Required field cannot have a default")
    return plan


def _wire_entries(cls: type[Any], fields: tuple[FieldPlan, ...]) -> list[tuple[str, str, Any, Transform | None]]:
    """(attribute, wire name, twin default, transform) in wire order; properties named in WIRE_ORDER are computed."""
    by_attr = {f.attr: f for f in fields}
    order: tuple[str, ...] = cls.WIRE_ORDER or tuple(by_attr)
    if not set(by_attr) <= set(order):
        raise TypeError(f"{cls.__name__}.WIRE_ORDER lacks {sorted(set(by_attr) - set(order))}")
    entries: list[tuple[str, str, Any, Transform | None]] = []
    for attr in order:
        f = by_attr.get(attr)
        if f is None:
            if not isinstance(getattr(cls, attr, None), property):
                raise TypeError(f"{cls.__name__}.WIRE_ORDER names {attr!r}, neither a field nor a property")
            entries.append((attr, attr, ALWAYS, None))
            continue
        default = _default_of(cls, f.attr) if f.omit else ALWAYS
        entries.append((attr, f.name, default, wire_transform(f.type)))
    return entries


def _default_of(cls: type[Any], attr: str) -> Any:
    for info in msgspec.structs.fields(cls):
        if info.name == attr:
            if info.default is not msgspec.NODEFAULT:
                return info.default
            if info.default_factory is not msgspec.NODEFAULT:
                return info.default_factory()
    return None


def _getter(pairs: list[tuple[str, Transform | None]]) -> Callable[[Any], tuple[Any, ...]]:
    """The values of the twin's fields, read from the struct (attrgetter when nothing needs transforming)."""
    if all(fn is None for _, fn in pairs):
        get = operator.attrgetter(*(attr for attr, _ in pairs))
        return get if len(pairs) > 1 else lambda obj: (get(obj),)

    def values(obj: Any) -> tuple[Any, ...]:
        return tuple(getattr(obj, a) if fn is None else fn(getattr(obj, a)) for a, fn in pairs)

    return values


def wire_transform(t: mi.Type, flags: Mapping[str, Any] | None = None) -> Transform | None:
    """How a field's value becomes its wire value: comma-joined text, or nested structs as their wire twins."""
    flags = dict(flags or {})
    while isinstance(t, mi.Metadata):
        flags.update(t.extra or {})
        t = t.type
    if flags.get(kinds.COMMA_JOINED):
        return ",".join
    if isinstance(t, mi.StructType):
        plan = plan_of(t.cls)
        return None if plan.native else plan.to_twin
    if isinstance(t, mi.UnionType):
        inner = [wire_transform(u) for u in t.types if not isinstance(u, mi.NoneType)]
        one = inner[0] if len(inner) == 1 else None
        return None if one is None else lambda v: None if v is None else one(v)
    if isinstance(t, mi.ListType | mi.VarTupleType):
        item = wire_transform(t.item_type)
        return None if item is None else lambda v: [item(x) for x in v]
    if isinstance(t, mi.DictType):
        value = wire_transform(t.value_type)
        return None if value is None else lambda v: {k: value(x) for k, x in v.items()}
    return None


_SLOW_FLAGS = (kinds.ALIASES, kinds.COMMA_JOINED, kinds.EMPTY_MEANS)


def fast_ok(t: mi.Type) -> bool:
    """Whether msgspec's strict decode, when it succeeds, gives what the lenient path would (no aliases, …)."""
    if isinstance(t, mi.Metadata):
        return not any(flag in (t.extra or {}) for flag in _SLOW_FLAGS) and fast_ok(t.type)
    if isinstance(t, mi.StructType):
        nested = plan_of(t.cls)
        return nested.fast and not nested.checks
    if isinstance(t, mi.UnionType):
        return all(fast_ok(u) for u in t.types)
    if isinstance(t, mi.ListType | mi.VarTupleType):
        return fast_ok(t.item_type)
    if isinstance(t, mi.DictType):
        return fast_ok(t.key_type) and fast_ok(t.value_type)
    return True
