"""The two ways into wasmtime: the fast low-level path and the public-API fallback.

This is the only module that touches wasmtime-py's private API (``wasmtime._ffi``, ``ctypes``, raw handles such as
``Store._context()`` and ``Func._func``); ``tests/unit/host/runtime/test_runtime_fast_path_pin.py`` keeps it that way
and fails when the pinned wasmtime stops taking the fast path. Moving the pin: docs/architecture.md, "Upgrading
wasmtime".

*Fast path* (wasmtime-py's private ``_ffi`` module, pinned to :data:`PINNED_WASMTIME`): imports are
defined with ``wasmtime_linker_define_func_unchecked``, ``__guest_call`` is called with
``wasmtime_func_call_unchecked`` and guest memory is read and written with ``ctypes.string_at`` /
``ctypes.memmove`` at a cached base address. The base stays valid because the engine is built with
``memory_may_move=False`` and wasm memories never shrink, so a cached length is a lower bound.
An import that meets a bad guest pointer returns a trap to wasmtime (nothing is raised).

*Public path*: ``Linker.define_func``, ``Func.__call__`` and ``Memory.read``/``write``. Python code
called from wasm must not raise through wasmtime-py (it parks the exception in a process-wide
variable), so a failing import records the fault on the instance and returns 0; the instance turns
the recorded fault into the same :class:`~host.runtime.errors.GuestTrapped` the fast path gives.

:func:`select_path` picks the fast path when asked for and available, else falls back (and logs why).
Which instance an import belongs to is found through :class:`ActiveAbi`: the instance sets it on its
own thread for the duration of each call into wasm (imports run synchronously on that thread).
"""

from __future__ import annotations

import ctypes
import importlib.metadata
import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol, cast

import wasmtime
from wasmtime import FuncType, Linker, Store, Trap, ValType, WasmtimeError

from host.runtime.abi import Abi, GuestMemory, ImportSpec, MemoryFault, MovedOffLoop

PINNED_WASMTIME = "50.0.1"
"""The wasmtime-py version whose private ``_ffi`` layout the fast path was written and tested against."""

U32_MASK = 0xFFFF_FFFF
_FFI_SYMBOLS = (
    "wasmtime_linker_define_func_unchecked",
    "wasmtime_func_unchecked_callback_t",
    "wasmtime_func_call_unchecked",
    "wasmtime_val_raw_t",
    "wasmtime_caller_context",
    "wasmtime_caller_export_get",
    "wasmtime_memory_data",
    "wasmtime_memory_data_size",
    "wasmtime_trap_new",
    "wasmtime_context_set_epoch_deadline",
)

logger = logging.getLogger("host.runtime")

GuestCall = Callable[[int, int, int], int]
"""``(op_len, msg_len, deadline_ticks)``: sets the epoch deadline and calls ``__guest_call(op_len, msg_len)``;
raises ``Trap``/``WasmtimeError``."""


class ActiveAbi(threading.local):
    """The :class:`Abi` of the instance running wasm on the current thread (None outside calls)."""

    abi: Abi | None = None


class CallPath(Protocol):
    """One way into wasmtime: defines imports, gives memory accessors and ``__guest_call`` callers."""

    name: str

    def define(self, linker: Linker, namespace: str, spec: ImportSpec) -> None: ...

    def new_memory(self) -> GuestMemory: ...

    def guest_call(self, store: Store, func: wasmtime.Func) -> GuestCall: ...


def fast_path_problem() -> str | None:
    """Why the fast path cannot be used here, or None when it can."""
    version = importlib.metadata.version("wasmtime")
    if version != PINNED_WASMTIME:
        return f"wasmtime {version} is installed, the fast path is pinned to {PINNED_WASMTIME}"
    ffi = getattr(wasmtime, "_ffi", None)
    missing = [name for name in _FFI_SYMBOLS if not hasattr(ffi, name)]
    if missing:
        return "wasmtime._ffi lacks " + ", ".join(missing)
    if ffi is None or ctypes.sizeof(ffi.wasmtime_val_raw_t) != 16:
        return "wasmtime_val_raw_t is not 16 bytes"
    return None


def select_path(fast: bool, active: ActiveAbi) -> CallPath:
    """The fast path if ``fast`` and available; otherwise the public-API path."""
    if fast:
        problem = fast_path_problem()
        if problem is None:
            return FastPath(active)
        logger.warning("wasm fast call path unavailable, using the public wasmtime API: %s", problem)
    return PublicPath(active)


def _fault_text(spec: ImportSpec, exc: BaseException) -> str:
    if isinstance(exc, MovedOffLoop):
        return str(exc)
    if isinstance(exc, MemoryFault):
        return f"guest passed an out-of-bounds buffer to {spec.name}: {exc}"
    logger.error("waPC import %s failed", spec.name, exc_info=exc)
    return f"host import {spec.name} failed: internal error"


def _record_fault(abi: Abi | None, text: str) -> None:
    if abi is not None and abi.fault is None:
        abi.fault = text


# --------------------------------------------------------------------------- fast path


class FastMemory:
    """Guest memory through a cached base address; re-reads base and length only on a miss."""

    __slots__ = ("_base", "_known", "_memory")

    def __init__(self) -> None:
        self._base = 0
        self._known = 0
        self._memory: Any = None

    def read(self, caller: object, ptr: int, length: int) -> bytes:
        if length == 0:
            return b""
        return ctypes.string_at(self._address(caller, ptr, length), length)

    def write(self, caller: object, ptr: int, data: bytes) -> None:
        if data:
            ctypes.memmove(self._address(caller, ptr, len(data)), data, len(data))

    def _address(self, caller: object, ptr: int, length: int) -> int:
        end = ptr + length
        if end > self._known:
            self._refresh(caller)
            if end > self._known:
                raise MemoryFault(f"bytes [{ptr}, {end}) lie outside guest memory of {self._known} bytes")
        return self._base + ptr

    def _refresh(self, caller: Any) -> None:
        ffi = wasmtime._ffi
        caller = ctypes.cast(caller, ctypes.POINTER(ffi.wasmtime_caller_t))
        if self._memory is None:
            item = ffi.wasmtime_extern_t()
            found = ffi.wasmtime_caller_export_get(caller, b"memory", 6, ctypes.byref(item))
            if not found or cast(int, item.kind) != ffi.WASMTIME_EXTERN_MEMORY.value:
                raise MemoryFault("the guest exports no memory")
            self._memory = item.of.memory
        context = ffi.wasmtime_caller_context(caller)
        memory = ctypes.byref(self._memory)
        self._known = ffi.wasmtime_memory_data_size(context, memory)
        self._base = ctypes.cast(ffi.wasmtime_memory_data(context, memory), ctypes.c_void_p).value or 0


def _new_trap(text: str) -> int:
    message = text.encode("utf-8", "replace")
    trap = wasmtime._ffi.wasmtime_trap_new(message, len(message))
    return ctypes.cast(trap, ctypes.c_void_p).value or 0


_Args = Any  # ctypes.POINTER(c_uint32) over the wasmtime_val_raw_t array: arg i is at [4 * i]
_ARG_READERS: dict[int, Callable[[_Args], tuple[int, ...]]] = {
    0: lambda a: (),
    1: lambda a: (a[0],),
    2: lambda a: (a[0], a[4]),
    8: lambda a: (a[0], a[4], a[8], a[12], a[16], a[20], a[24], a[28]),
}
_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_size_t, ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_uint32), ctypes.c_size_t
)
"""``wasmtime_func_unchecked_callback_t`` with cheaper argument types (ints, u32 view of the values)."""


def _fast_callback(active: ActiveAbi, spec: ImportSpec) -> Any:
    method, read, returns_i32 = spec.method, _ARG_READERS[spec.params], spec.returns_i32

    def callback(env: int | None, caller: int, args: _Args, nargs: int) -> int:
        abi = active.abi
        try:
            result = method(abi, caller, *read(args))
            if returns_i32:
                args[0] = result
            return 0
        except BaseException as exc:  # nothing may unwind through wasmtime
            text = _fault_text(spec, exc)
            _record_fault(abi, text)
            return _new_trap(text)

    return _CALLBACK(callback)


class FastPath:
    """Low-level ctypes calls into wasmtime's C API (see the module docstring)."""

    name = "fast"

    def __init__(self, active: ActiveAbi) -> None:
        self._active = active
        self._keep_alive: list[object] = []  # ctypes callbacks and types the linker points at

    def define(self, linker: Linker, namespace: str, spec: ImportSpec) -> None:
        ffi = wasmtime._ffi
        functype = _functype(spec)
        callback = _fast_callback(self._active, spec)
        as_wasmtime_type = ctypes.cast(callback, ffi.wasmtime_func_unchecked_callback_t)
        no_finalizer = ctypes.CFUNCTYPE(None, ctypes.c_void_p)()
        module, name = namespace.encode(), spec.name.encode()
        error = ffi.wasmtime_linker_define_func_unchecked(
            linker.ptr(), module, len(module), name, len(name), functype.ptr(), as_wasmtime_type, None, no_finalizer
        )
        if error:
            raise WasmtimeError._from_ptr(error)
        self._keep_alive += (functype, callback, as_wasmtime_type)

    def new_memory(self) -> GuestMemory:
        return FastMemory()

    def guest_call(self, store: Store, func: wasmtime.Func) -> GuestCall:
        return FastGuestCall(store, func)


class FastGuestCall:
    """``__guest_call`` through ``wasmtime_func_call_unchecked`` (signature checked at compile)."""

    __slots__ = ("_args", "_context", "_func", "_func_ref", "_trap", "_trap_ref")

    def __init__(self, store: Store, func: wasmtime.Func) -> None:
        ffi = wasmtime._ffi
        self._context = store._context()
        self._func = func._func
        self._func_ref = ctypes.byref(self._func)
        self._args = (ffi.wasmtime_val_raw_t * 2)()
        self._new_trap_slot()

    def _new_trap_slot(self) -> None:
        self._trap = ctypes.POINTER(wasmtime._ffi.wasm_trap_t)()
        self._trap_ref = ctypes.byref(self._trap)

    def __call__(self, op_len: int, msg_len: int, deadline_ticks: int) -> int:
        ffi = wasmtime._ffi
        args = self._args
        args[0].i32 = op_len
        args[1].i32 = msg_len
        ffi.wasmtime_context_set_epoch_deadline(self._context, deadline_ticks)
        error = ffi.wasmtime_func_call_unchecked(self._context, self._func_ref, args, 2, self._trap_ref)
        if error:
            raise WasmtimeError._from_ptr(error)
        if self._trap:
            trap = self._trap
            self._new_trap_slot()
            raise Trap._from_ptr(trap)
        return int(args[0].i32)


# --------------------------------------------------------------------------- public path


class PublicMemory:
    """Guest memory through ``Memory.data_len``/``read``/``write`` (bounds-checked here first)."""

    __slots__ = ("_memory",)

    def __init__(self) -> None:
        self._memory: wasmtime.Memory | None = None

    def read(self, caller: Any, ptr: int, length: int) -> bytes:
        if length == 0:
            return b""
        memory = self._checked(caller, ptr, length)
        return bytes(memory.read(caller, ptr, ptr + length))

    def write(self, caller: Any, ptr: int, data: bytes) -> None:
        if data:
            self._checked(caller, ptr, len(data)).write(caller, data, ptr)

    def _checked(self, caller: Any, ptr: int, length: int) -> wasmtime.Memory:
        if self._memory is None:
            found = caller.get("memory")
            if not isinstance(found, wasmtime.Memory):
                raise MemoryFault("the guest exports no memory")
            self._memory = found
        size = self._memory.data_len(caller)
        if ptr + length > size:
            raise MemoryFault(f"bytes [{ptr}, {ptr + length}) lie outside guest memory of {size} bytes")
        return self._memory


def _public_callback(active: ActiveAbi, spec: ImportSpec) -> Callable[..., int | None]:
    method, failed = spec.method, (0 if spec.returns_i32 else None)

    def callback(caller: wasmtime.Caller, *args: int) -> int | None:
        abi = active.abi
        try:
            return method(abi, caller, *[arg & U32_MASK for arg in args])
        except BaseException as exc:  # nothing may unwind through wasmtime
            _record_fault(abi, _fault_text(spec, exc))
            return failed

    return callback


class PublicPath:
    """The public wasmtime-py API only (see the module docstring)."""

    name = "public"

    def __init__(self, active: ActiveAbi) -> None:
        self._active = active

    def define(self, linker: Linker, namespace: str, spec: ImportSpec) -> None:
        callback = _public_callback(self._active, spec)
        linker.define_func(namespace, spec.name, _functype(spec), callback, access_caller=True)

    def new_memory(self) -> GuestMemory:
        return PublicMemory()

    def guest_call(self, store: Store, func: wasmtime.Func) -> GuestCall:
        def call(op_len: int, msg_len: int, deadline_ticks: int) -> int:
            store.set_epoch_deadline(deadline_ticks)
            return int(func(store, op_len, msg_len))

        return call


def _functype(spec: ImportSpec) -> FuncType:
    i32 = ValType.i32()
    return FuncType([i32] * spec.params, [i32] if spec.returns_i32 else [])
