"""``@operation("Service.Method")``: mark a Provider method as the handler of one operation.

A handler is ``async def name(self, actor_id: str[, payload: T]) -> R``. Its input and output codecs come from
the annotations of ``payload`` and of the return value (see :mod:`lattice.provider.codec`); a handler without a
payload parameter takes an empty payload, one returning ``None`` answers with an empty payload.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from lattice.provider.codec import PayloadCodec, codec_for
from lattice.provider.errors import ProviderDefinitionError

F = TypeVar("F", bound=Callable[..., Any])
OPERATION_ATTR = "__lattice_operation__"
_OPERATION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Operation:
    """One served operation: its name, the handler's attribute name and its payload codecs."""

    name: str
    method_name: str
    input: PayloadCodec
    output: PayloadCodec
    takes_payload: bool


def operation(name: str) -> Callable[[F], F]:
    """Mark an ``async`` method as the handler of operation ``name`` (``"Service.Method"``)."""
    if not isinstance(name, str) or not _OPERATION_NAME.match(name):
        raise ProviderDefinitionError(f"operation name {name!r} must look like 'Service.Method'")

    def mark(fn: F) -> F:
        setattr(fn, OPERATION_ATTR, name)
        return fn

    return mark


def _describe(cls: type, fn: Any) -> Operation:
    name: str = getattr(fn, OPERATION_ATTR)
    where = f"{cls.__name__}.{fn.__name__} ({name})"
    if not inspect.iscoroutinefunction(fn):
        raise ProviderDefinitionError(f"{where} must be an 'async def' method")
    params = list(inspect.signature(fn).parameters.values())
    if len(params) not in (2, 3) or any(p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params):
        raise ProviderDefinitionError(f"{where} must take (self, actor_id) or (self, actor_id, payload)")
    try:
        hints = typing.get_type_hints(fn)
    except (NameError, TypeError) as exc:
        raise ProviderDefinitionError(f"{where}: cannot resolve its type hints: {exc}") from exc
    if "return" not in hints:
        raise ProviderDefinitionError(f"{where} needs a return annotation ('-> None' for an empty reply)")
    input_hint: Any = None
    if len(params) == 3:
        if params[2].name not in hints:
            raise ProviderDefinitionError(f"{where}: annotate the payload parameter {params[2].name!r}")
        input_hint = hints[params[2].name]
    return Operation(
        name=name,
        method_name=fn.__name__,
        input=codec_for(input_hint, f"{where} input"),
        output=codec_for(hints["return"], f"{where} output"),
        takes_payload=len(params) == 3,
    )


def collect_operations(cls: type) -> Mapping[str, Operation]:
    """Every ``@operation`` of ``cls`` and its bases; two handlers of one operation is an error."""
    found: dict[str, Operation] = {}
    seen_methods: set[str] = set()
    for klass in cls.__mro__:
        for attr_name, fn in vars(klass).items():
            if attr_name in seen_methods or not hasattr(fn, OPERATION_ATTR):
                continue
            seen_methods.add(attr_name)
            op = _describe(cls, fn)
            if op.name in found:
                raise ProviderDefinitionError(
                    f"{cls.__name__}: operation {op.name} has two handlers, {found[op.name].method_name} and "
                    f"{op.method_name}"
                )
            found[op.name] = op
    return found
