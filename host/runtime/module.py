"""What a compiled module offers and needs, checked once at compile time.

A hostable waPC module exports ``memory`` (32-bit, not shared) and ``__guest_call(i32, i32) -> i32``,
imports only the waPC functions (from ``wapc`` and/or ``wasmbus``, with their exact signatures) and,
optionally, WASI preview 1 (``wasi_snapshot_preview1``) and/or WASI snapshot 0 (``wasi_unstable``, the
functions of :data:`~host.runtime.wasi_unstable.SIGNATURES` with their exact signatures). Its init exports take
and return nothing.
The fast call path relies on these checks: it calls ``__guest_call`` without type checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import wasmtime

from host.runtime.abi import IMPORTS_BY_NAME, WAPC_NAMESPACES
from host.runtime.errors import ModuleInvalid
from host.runtime.wasi_unstable import SIGNATURES as WASI_UNSTABLE_SIGNATURES
from host.runtime.wasi_unstable import functype as wasi_unstable_functype

GUEST_CALL = "__guest_call"
MEMORY = "memory"
WASI_NAMESPACE = "wasi_snapshot_preview1"
WASI_UNSTABLE = "wasi_unstable"
INIT_EXPORTS = ("start", "wapc_init", "_start", "_initialize")
"""Init exports in call order; ``_initialize`` (WASI reactor) is called only when ``_start`` is absent."""


@dataclass(frozen=True, eq=False)
class CompiledModule:
    """A module compiled by one :class:`~host.runtime.Runtime`, ready to instantiate."""

    module_hash: str
    exports: tuple[str, ...]
    import_namespaces: frozenset[str]
    uses_wasi: bool
    """True when the module imports WASI (either snapshot): its instances get a WASI context."""
    wasi_unstable: tuple[str, ...]
    """The WASI snapshot 0 (``wasi_unstable``) functions it imports, sorted; empty when none."""
    init_exports: tuple[str, ...]
    """The init exports this module has, in the order they will be called."""
    cache_hit: bool
    """True when the machine code came from the disk cache instead of the compiler."""
    wasm_module: wasmtime.Module = field(repr=False)
    instance_pre: wasmtime.InstancePre = field(repr=False)
    owner: object = field(repr=False)
    """The runtime that compiled it; a module only runs in its own runtime's engine."""


@dataclass(frozen=True)
class ModuleShape:
    """The facts :func:`inspect_module` checked and extracted."""

    exports: tuple[str, ...]
    import_namespaces: frozenset[str]
    uses_wasi: bool
    wasi_unstable: tuple[str, ...]
    init_exports: tuple[str, ...]


def inspect_module(module: wasmtime.Module) -> ModuleShape:
    """Check ``module`` can be hosted (see the module docstring); raise :class:`ModuleInvalid` if not."""
    exports = {export.name: export.type for export in module.exports}
    _check_guest_call(exports.get(GUEST_CALL))
    _check_memory(exports.get(MEMORY))
    namespaces = frozenset(_check_import(item) for item in module.imports)
    present = [name for name in INIT_EXPORTS if name in exports]
    if "_start" in present and "_initialize" in present:
        present.remove("_initialize")
    for name in present:
        _check_init_export(name, exports[name])
    snapshot0 = tuple(sorted({item.name or "" for item in module.imports if item.module == WASI_UNSTABLE}))
    uses_wasi = WASI_NAMESPACE in namespaces or WASI_UNSTABLE in namespaces
    return ModuleShape(tuple(exports), namespaces, uses_wasi, snapshot0, tuple(present))


def _is_i32(types: list[wasmtime.ValType], count: int) -> bool:
    return len(types) == count and all(str(t) == "i32" for t in types)


def _same_type(found: object, expected: wasmtime.FuncType) -> bool:
    def names(types: list[wasmtime.ValType]) -> list[str]:
        return [str(t) for t in types]

    return (
        isinstance(found, wasmtime.FuncType)
        and names(found.params) == names(expected.params)
        and names(found.results) == names(expected.results)
    )


def _check_guest_call(found: object) -> None:
    if found is None:
        raise ModuleInvalid(f"the module does not export {GUEST_CALL}")
    if not (isinstance(found, wasmtime.FuncType) and _is_i32(found.params, 2) and _is_i32(found.results, 1)):
        raise ModuleInvalid(f"{GUEST_CALL} must have the signature (i32, i32) -> i32")


def _check_memory(found: object) -> None:
    if not isinstance(found, wasmtime.MemoryType):
        raise ModuleInvalid(f"the module must export its linear memory as {MEMORY!r}")
    if found.is_64 or found.is_shared:
        raise ModuleInvalid(f"the exported {MEMORY!r} must be a 32-bit, unshared memory")


def _check_init_export(name: str, found: object) -> None:
    if not (isinstance(found, wasmtime.FuncType) and not found.params and not found.results):
        raise ModuleInvalid(f"init export {name} must be a function taking and returning nothing")


def _check_import(item: wasmtime.ImportType) -> str:
    namespace, name = item.module, item.name or ""
    if namespace == WASI_NAMESPACE:
        return namespace  # the linker checks WASI names and types
    if namespace == WASI_UNSTABLE:
        return _check_wasi_unstable(item, name)
    if namespace not in WAPC_NAMESPACES:
        raise ModuleInvalid(
            f"unsupported import {namespace}.{name}: only waPC ({', '.join(WAPC_NAMESPACES)}),"
            f" {WASI_NAMESPACE} and {WASI_UNSTABLE} are provided"
        )
    spec = IMPORTS_BY_NAME.get(name)
    if spec is None:
        raise ModuleInvalid(f"unknown waPC import {namespace}.{name}")
    ty = item.type
    results = 1 if spec.returns_i32 else 0
    if not (isinstance(ty, wasmtime.FuncType) and _is_i32(ty.params, spec.params) and _is_i32(ty.results, results)):
        raise ModuleInvalid(f"import {namespace}.{name} has the wrong signature")
    return namespace


def _check_wasi_unstable(item: wasmtime.ImportType, name: str) -> str:
    if name not in WASI_UNSTABLE_SIGNATURES:
        raise ModuleInvalid(f"unsupported import {WASI_UNSTABLE}.{name}: WASI snapshot 0 has no such function")
    if not _same_type(item.type, wasi_unstable_functype(name)):
        raise ModuleInvalid(f"import {WASI_UNSTABLE}.{name} has the wrong signature")
    return WASI_UNSTABLE
