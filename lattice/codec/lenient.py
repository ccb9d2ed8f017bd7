"""The lenient path: plain values (as msgpack-python or :mod:`json` read them) to typed ones, field by field.

It runs only when msgspec's strict decode refused the bytes, so the common case stays fast and an odd-but-valid peer
still works (str for bytes, bin for text, null for "use the default", …; see :mod:`lattice.codec.kinds`). Every
refusal is the payload's own :class:`~lattice.codec.errors.MalformedPayload` subclass, naming the payload and field.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec.inspect as mi

from lattice.codec import kinds
from lattice.codec.errors import MalformedPayload
from lattice.codec.formats import Format
from lattice.codec.plan import FieldPlan, plan_of

Flags = Mapping[str, Any]
NO_FLAGS: Flags = {}
MISSING: Any = object()


@dataclass(frozen=True)
class Ctx:
    """What a conversion reports with: the format read (for wording) and the error class to raise."""

    fmt: Format
    error: type[MalformedPayload]

    def refuse(self, path: str, t: mi.Type, value: Any, flags: Flags = NO_FLAGS) -> MalformedPayload:
        advice = f" ({flags[kinds.HINT]})" if kinds.HINT in flags else ""
        return self.error(f"{path} must be {describe(t, self.fmt)}{advice}, got {kind(value)}")


def convert(value: Any, t: mi.Type, path: str, ctx: Ctx, flags: Flags = NO_FLAGS) -> Any:
    """``value`` as type ``t``, or the payload's error naming ``path``."""
    if isinstance(t, mi.Metadata):
        return convert(value, t.type, path, ctx, {**flags, **(t.extra or {})})
    return _HANDLERS[type(t)](value, t, path, ctx, flags)


def struct_from_body(cls: type[Any], body: Any, what: str, ctx: Ctx) -> Any:
    """A struct from a map: each declared field read by its wire name; unknown keys ignored."""
    if not isinstance(body, Mapping):
        raise ctx.error(f"{what} must be {ctx.fmt.map_word}, got {kind(body)}")
    plan = plan_of(cls)
    kwargs: dict[str, Any] = {}
    for f in plan.fields:
        name, value = _read(body, f)
        where = f"{what}.{name}"
        if f.empty_means and value in ("", b""):
            kwargs[f.attr] = f.empty_means[0]
        elif value is not None:
            kwargs[f.attr] = convert(value, f.type, where, ctx)
        elif f.required or not f.has_default:
            kwargs[f.attr] = _missing(f, where, ctx)
    obj = cls(**kwargs)
    problem = obj.problem() if plan.checks else None
    if problem is not None:
        raise ctx.error(f"{what} {problem}")
    return obj


def _read(body: Mapping[Any, Any], f: FieldPlan) -> tuple[str, Any]:
    """The field's wire name and value; its other names are read when it is absent or null."""
    value = body.get(f.name)
    if value is None:
        for alias in f.aliases:
            if body.get(alias) is not None:
                return alias, body[alias]
    return f.name, value


def _missing(f: FieldPlan, where: str, ctx: Ctx) -> Any:
    """An absent or null field without a default: the zero value of its kind, unless it is required."""
    zero = MISSING if f.required else zero_value(f.type)
    if zero == "" and f.empty_means:
        return f.empty_means[0]
    if zero is not MISSING:
        try:
            return convert(zero, f.type, where, ctx)
        except MalformedPayload:
            pass
    raise ctx.error(f"{where} is required ({describe(f.type, ctx.fmt)})")


def zero_value(t: mi.Type) -> Any:
    """What serde's ``#[serde(default)]`` gives: "", b"", 0, False, {}, [], None for an optional; else MISSING."""
    if isinstance(t, mi.Metadata):
        return zero_value(t.type)
    if isinstance(t, mi.UnionType) and any(isinstance(u, mi.NoneType) for u in t.types):
        return None
    return _ZEROS.get(type(t), MISSING)


_ZEROS: dict[type, Any] = {
    mi.StrType: "",
    mi.BytesType: b"",
    mi.IntType: 0,
    mi.FloatType: 0.0,
    mi.BoolType: False,
    mi.DictType: {},
    mi.ListType: [],
    mi.VarTupleType: (),
    mi.AnyType: None,
}


# --- one reader per kind ---------------------------------------------------------------------------------------------


def _any(value: Any, t: mi.Type, path: str, ctx: Ctx, flags: Flags) -> Any:
    return value


def _none(value: Any, t: mi.Type, path: str, ctx: Ctx, flags: Flags) -> None:
    if value is not None:
        raise ctx.refuse(path, t, value, flags)


def _union(value: Any, t: mi.UnionType, path: str, ctx: Ctx, flags: Flags) -> Any:
    if value is None and any(isinstance(u, mi.NoneType) for u in t.types):
        return None
    (inner,) = (u for u in t.types if not isinstance(u, mi.NoneType))
    return convert(value, inner, path, ctx, flags)


def _str(value: Any, t: mi.StrType, path: str, ctx: Ctx, flags: Flags) -> str:
    if isinstance(value, bytes) and ctx.fmt.bin_is_text:
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise ctx.error(f"{path} is not UTF-8") from None
    elif isinstance(value, dict) and flags.get(kinds.JSON_TEXT):
        value = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if not isinstance(value, str) or len(value) < (t.min_length or 0):
        raise ctx.refuse(path, t, value, flags)
    return value


def _bytes(value: Any, t: mi.Type, path: str, ctx: Ctx, flags: Flags) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, list) and all(isinstance(v, int) and 0 <= v < 256 for v in value):
        return bytes(value)
    raise ctx.refuse(path, t, value, flags)


def _int(value: Any, t: mi.IntType, path: str, ctx: Ctx, flags: Flags) -> int:
    if flags.get(kinds.NUMERIC_TEXT) and isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise ctx.refuse(path, t, value, flags)
    low, high = _bounds(t)
    if (low is not None and value < low) or (high is not None and value > high):
        advice = f" ({flags[kinds.HINT]})" if kinds.HINT in flags else ""
        if low is not None and high is not None:
            raise ctx.error(f"{path} = {value} is out of range [{low}, {high}]{advice}")
        raise ctx.error(f"{path} must be {describe(t, ctx.fmt)}{advice}, got {value}")
    return value


def _float(value: Any, t: mi.Type, path: str, ctx: Ctx, flags: Flags) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ctx.refuse(path, t, value, flags)
    return float(value)


def _bool(value: Any, t: mi.Type, path: str, ctx: Ctx, flags: Flags) -> bool:
    if not isinstance(value, bool):
        raise ctx.refuse(path, t, value, flags)
    return value


def _literal(value: Any, t: mi.LiteralType, path: str, ctx: Ctx, flags: Flags) -> Any:
    if not isinstance(value, str | int) or isinstance(value, bool) or value not in t.values:
        raise ctx.error(f"{path} must be {describe(t, ctx.fmt)}, got {value!r}")
    return value


def _dict(value: Any, t: mi.DictType, path: str, ctx: Ctx, flags: Flags) -> dict[Any, Any]:
    if not isinstance(value, Mapping):
        raise ctx.refuse(path, t, value, flags)
    out: dict[Any, Any] = {}
    for k, v in value.items():
        key = convert(k, t.key_type, f"{path} key", ctx)
        out[key] = convert(v, t.value_type, f"{path}[{key!r}]", ctx)
    return out


def _sequence(value: Any, t: mi.ListType | mi.VarTupleType, path: str, ctx: Ctx, flags: Flags) -> Any:
    joined = flags.get(kinds.COMMA_JOINED)
    if joined and isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    if flags.get(kinds.ONE_OR_MANY) and isinstance(value, str | bytes):
        value = [value]
    if not isinstance(value, list | tuple):
        raise ctx.refuse(path, t, value, flags)
    items = [convert(v, t.item_type, f"{path}[{n}]", ctx) for n, v in enumerate(value)]
    if joined:
        items = [item for item in items if item]
    return tuple(items) if isinstance(t, mi.VarTupleType) else items


def _struct(value: Any, t: mi.StructType, path: str, ctx: Ctx, flags: Flags) -> Any:
    return struct_from_body(t.cls, value, path, ctx)


_HANDLERS: dict[type, Callable[..., Any]] = {
    mi.AnyType: _any,
    mi.NoneType: _none,
    mi.UnionType: _union,
    mi.StrType: _str,
    mi.BytesType: _bytes,
    mi.ByteArrayType: _bytes,
    mi.IntType: _int,
    mi.FloatType: _float,
    mi.BoolType: _bool,
    mi.LiteralType: _literal,
    mi.DictType: _dict,
    mi.ListType: _sequence,
    mi.VarTupleType: _sequence,
    mi.StructType: _struct,
}
SUPPORTED = frozenset(_HANDLERS)


# --- words for messages ----------------------------------------------------------------------------------------------


def _bounds(t: mi.IntType) -> tuple[int | None, int | None]:
    low = t.ge if t.gt is None else t.gt + 1
    high = t.le if t.lt is None else t.lt - 1
    return low, high


def describe(t: mi.Type, fmt: Format) -> str:
    """The expected kind, for "must be …": "a string", "an integer in [0, 65535]", "a list of strings", …"""
    if isinstance(t, mi.Metadata):
        return describe(t.type, fmt)
    if isinstance(t, mi.IntType):
        low, high = _bounds(t)
        if low is not None and high is not None:
            return f"an integer in [{low}, {high}]"
        if low == 0:
            return "a non-negative integer"
        return "an integer" if low is None else f"an integer of at least {low}"
    if isinstance(t, mi.StrType):
        return "a non-empty string" if t.min_length else "a string"
    if isinstance(t, mi.DictType):
        return f"a map of {noun(t.key_type)} to {noun(t.value_type)}"
    if isinstance(t, mi.ListType | mi.VarTupleType):
        return f"a list of {noun(t.item_type)}"
    if isinstance(t, mi.LiteralType):
        return "one of " + ", ".join(str(v) for v in t.values)
    if isinstance(t, mi.UnionType):
        return " or ".join(describe(u, fmt) for u in t.types)
    if isinstance(t, mi.StructType):
        return fmt.map_word
    return _WORDS.get(type(t), type(t).__name__)


_WORDS: dict[type, str] = {
    mi.AnyType: "any value",
    mi.NoneType: "null",
    mi.BytesType: "bytes",
    mi.ByteArrayType: "bytes",
    mi.FloatType: "a number",
    mi.BoolType: "a boolean",
}


def noun(t: mi.Type) -> str:
    """The plural of a kind, for "a list of …" and "a map of … to …"."""
    if isinstance(t, mi.Metadata):
        return noun(t.type)
    if isinstance(t, mi.ListType | mi.VarTupleType):
        return f"lists of {noun(t.item_type)}"
    plurals = {mi.StrType: "strings", mi.IntType: "integers", mi.BoolType: "booleans", mi.FloatType: "numbers"}
    return plurals.get(type(t), "maps" if isinstance(t, mi.DictType | mi.StructType) else "values")


def kind(value: Any) -> str:
    """What arrived, for "…, got …"."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return f"an integer ({value})" if abs(value) < 10**12 else "an integer"
    names = {str: "a string", bytes: "bytes", list: "a list", dict: "a map", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)
