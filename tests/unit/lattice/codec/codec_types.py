"""Every payload type of the lattice, and a hypothesis strategy for each drawn from its declaration."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import msgspec
import msgspec.inspect as mi
from hypothesis import strategies as st

import lattice
from lattice.codec import Struct, kinds

BASES = {"Struct", "WireStruct", "JsonPayload", "_ListValue", "_SetValue", "_Message"}


def payload_types() -> list[type[Struct]]:
    """Every concrete Struct subclass in the lattice package."""
    for info in pkgutil.walk_packages(lattice.__path__, "lattice."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    found: dict[str, type[Struct]] = {}
    todo: list[type[Any]] = [Struct]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__name__ not in BASES and cls.__module__.startswith("lattice."):
            found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return [found[k] for k in sorted(found)]


_text = st.text(max_size=12)
_word = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=1, max_size=8)


def strategy(t: mi.Type, flags: dict[str, Any] | None = None) -> st.SearchStrategy[Any]:
    """Values of type ``t`` that survive a round trip (so no "" where "" reads as a default)."""
    flags = dict(flags or {})
    while isinstance(t, mi.Metadata):
        flags.update(t.extra or {})
        t = t.type
    if kinds.COMMA_JOINED in flags:
        return st.lists(_word, max_size=3).map(tuple)
    if isinstance(t, mi.UnionType):
        inner = [strategy(u, flags) for u in t.types if not isinstance(u, mi.NoneType)]
        return st.none() | st.one_of(inner)
    if isinstance(t, mi.StrType):
        low = max(t.min_length or 0, 1 if kinds.EMPTY_MEANS in flags else 0)
        return st.text(min_size=low, max_size=12)
    if isinstance(t, mi.IntType):
        low = t.ge if t.ge is not None else -(2**63)
        return st.integers(min_value=low, max_value=t.le if t.le is not None else 2**63 - 1)
    if isinstance(t, mi.StructType):
        return struct_strategy(t.cls)
    if isinstance(t, mi.DictType):
        return st.dictionaries(strategy(t.key_type), strategy(t.value_type), max_size=3)
    if isinstance(t, mi.ListType | mi.VarTupleType):
        items = st.lists(strategy(t.item_type), max_size=3)
        return items.map(tuple) if isinstance(t, mi.VarTupleType) else items
    if isinstance(t, mi.LiteralType):
        return st.sampled_from(t.values)
    simple = {mi.BytesType: st.binary(max_size=24), mi.BoolType: st.booleans(), mi.AnyType: _text}
    return simple[type(t)]


def struct_strategy(cls: type[Any]) -> st.SearchStrategy[Any]:
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    values = st.builds(cls, **{f.name: strategy(f.type) for f in info.fields})
    return values.filter(lambda v: v.problem() is None)


def fields_of(value: Any) -> list[str]:
    return [f.name for f in msgspec.structs.fields(value)]
