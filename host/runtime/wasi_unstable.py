"""WASI snapshot 0 (``wasi_unstable``) for older guests, bound to wasmtime's own preview 1 in the same store.

wasmtime-py's ``Linker.define_wasi`` defines ``wasi_snapshot_preview1`` only (a ``wasi_unstable`` import is "not
defined"), so snapshot 0 is bound here; docs/adr/0006-wasi-snapshot-0.md has the why and the witx comparison.

* The 45 snapshot-0 functions (:data:`SIGNATURES`, from ``phases/old/snapshot_0/witx``) have the core signatures
  of their preview-1 namesakes (a test checks them against wasmtime). Each is handed to wasmtime's preview-1
  function of the same name, so the sandbox is the one :mod:`host.runtime.wasi` sets up: stdout and stderr to the
  log, no arguments, no environment, no preopened directories, no sockets.
* Five are adapted because a memory layout or an enum changed (:data:`ADAPTED`): ``fd_seek`` (whence order),
  ``fd_filestat_get`` and ``path_filestat_get`` (56-byte filestat, u32 ``nlink``), ``poll_oneoff`` (56-byte
  subscriptions, the clock one has an extra ``identifier``) and ``fd_fdstat_get`` (rights limited to the 29 bits
  snapshot 0 has). Nothing else of snapshot 0 differs; anything outside it (``sock_accept``) is refused at compile.
* Preview-1 functions find guest memory through their caller's ``memory`` export, so they cannot be called from
  Python directly. Each instance gets a tiny *adapter* instance (generated WAT: imports the guest's memory and the
  preview-1 functions, re-exports the memory, wraps each function), created on the instance's first snapshot-0
  call; the ``wasi_unstable`` imports are Python callbacks that convert and call through it.
* Traps cannot unwind through a wasmtime-py callback (it parks exceptions in a process-wide variable), so a trap in
  preview 1 (bad pointer, invalid enum, ``proc_exit``) is recorded on the instance's :class:`~host.runtime.abi.Abi`
  like any ABI fault: that call and every later WASI call of the guest call return ``EINTR`` and do nothing, and
  the instance reports the trap ("guest exited with status N" for ``proc_exit``) and is discarded when the call
  ends. ``proc_exit(0)`` in an init export is a normal end, as in preview 1.
"""

from __future__ import annotations

import logging
import struct
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import wasmtime

from host.runtime.abi import MemoryFault

if TYPE_CHECKING:
    from host.runtime.fastcall import ActiveAbi

NAMESPACE = "wasi_unstable"
PREVIEW1 = "wasi_snapshot_preview1"

SIGNATURES: dict[str, str] = {
    "args_get": "ii", "args_sizes_get": "ii", "environ_get": "ii", "environ_sizes_get": "ii",
    "clock_res_get": "ii", "clock_time_get": "iIi",
    "fd_advise": "iIIi", "fd_allocate": "iII", "fd_close": "i", "fd_datasync": "i", "fd_fdstat_get": "ii",
    "fd_fdstat_set_flags": "ii", "fd_fdstat_set_rights": "iII", "fd_filestat_get": "ii", "fd_filestat_set_size": "iI",
    "fd_filestat_set_times": "iIIi", "fd_pread": "iiiIi", "fd_prestat_get": "ii", "fd_prestat_dir_name": "iii",
    "fd_pwrite": "iiiIi", "fd_read": "iiii", "fd_readdir": "iiiIi", "fd_renumber": "ii", "fd_seek": "iIii",
    "fd_sync": "i", "fd_tell": "ii", "fd_write": "iiii",
    "path_create_directory": "iii", "path_filestat_get": "iiiii", "path_filestat_set_times": "iiiiIIi",
    "path_link": "iiiiiii", "path_open": "iiiiiIIii", "path_readlink": "iiiiii", "path_remove_directory": "iii",
    "path_rename": "iiiiii", "path_symlink": "iiiii", "path_unlink_file": "iii",
    "poll_oneoff": "iiii", "proc_exit": "i", "proc_raise": "i", "sched_yield": "", "random_get": "ii",
    "sock_recv": "iiiiii", "sock_send": "iiiii", "sock_shutdown": "ii",
}  # fmt: skip
"""Core parameter types of every snapshot-0 function (``i`` i32, ``I`` i64); all return an i32 errno except
``proc_exit``, which returns nothing."""
NO_RESULT = frozenset({"proc_exit"})

ERRNO_INTR = 27
"""Returned by a call that trapped (and by later WASI calls of the same guest call): the guest is being stopped."""
U32 = 0xFFFF_FFFF
WHENCE_TO_PREVIEW1 = {0: 1, 1: 2, 2: 0}
"""Snapshot 0 orders whence cur, end, set; preview 1 set, cur, end. Other values pass unchanged (preview 1 traps)."""
SNAPSHOT0_RIGHTS = (1 << 29) - 1
"""Rights bits 0-28 (fd_datasync … sock_shutdown); preview 1 added sock_accept as bit 29."""
FILESTAT0 = struct.Struct("<QQB3xIQQQQ")  # dev, ino, filetype, nlink u32, size, atim, mtim, ctim: 56 bytes
FILESTAT1 = struct.Struct("<QQB7xQQQQQ")  # dev, ino, filetype, nlink u64, size, atim, mtim, ctim: 64 bytes
SUBSCRIPTION0 = 56  # userdata, tag u8 @8, clock: identifier @16, id u32 @24, timeout @32, precision @40, flags @48
SUBSCRIPTION1 = 48  # userdata, tag u8 @8, clock: id u32 @16, timeout @24, precision @32, flags u16 @40
CLOCK0 = struct.Struct("<8xI4xQQH")  # from offset 16: identifier (skipped), id, timeout, precision, flags
CLOCK1 = struct.Struct("<I4xQQH6x")  # from offset 16: id, timeout, precision, flags (32 bytes)
EVENT = 32  # identical in both snapshots

logger = logging.getLogger("host.runtime")
_VALTYPES = {"i": wasmtime.ValType.i32(), "I": wasmtime.ValType.i64()}
_WAT_TYPES = {"i": "i32", "I": "i64"}


def functype(name: str) -> wasmtime.FuncType:
    """The core type of snapshot-0 function ``name``."""
    results = [] if name in NO_RESULT else [_VALTYPES["i"]]
    return wasmtime.FuncType([_VALTYPES[c] for c in SIGNATURES[name]], results)


def adapter_wat(names: Sequence[str]) -> str:
    """An adapter module: imports the guest's memory and the preview-1 ``names``; exports the memory and wrappers."""
    imports, funcs = [], []
    for name in names:
        params = SIGNATURES[name]
        sig = f"(param {' '.join(_WAT_TYPES[c] for c in params)})" + ("" if name in NO_RESULT else " (result i32)")
        imports.append(f'  (import "{PREVIEW1}" "{name}" (func ${name} {sig}))')
        args = " ".join(f"(local.get {i})" for i in range(len(params)))
        funcs.append(f'  (func (export "{name}") {sig} (call ${name} {args}))')
    return "\n".join(['(module', '  (import "guest" "memory" (memory 0))', *imports,
                      '  (export "memory" (memory 0))', *funcs, ")"])  # fmt: skip


def _root_cause(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


class WasiUnstableInstance:
    """One instance's snapshot-0 state: its adapter (bound on first use), guest memory, a pending exit status."""

    __slots__ = ("_funcs", "_linker", "_memory", "_module", "exit_status")

    def __init__(self, linker: wasmtime.Linker, module: wasmtime.Module) -> None:
        self._linker = linker
        self._module = module
        self._funcs: dict[str, wasmtime.Func] = {}
        self._memory: wasmtime.Memory | None = None
        self.exit_status: int | None = None
        """Set by ``proc_exit``; taken by the instance (:meth:`take_exit`) after an init export."""

    def take_exit(self) -> int | None:
        status, self.exit_status = self.exit_status, None
        return status

    def call(self, caller: wasmtime.Caller, name: str, args: Sequence[int]) -> Any:
        """Call wasmtime's preview-1 ``name`` through the adapter; raises whatever it raises."""
        self.bind(caller)
        return self._funcs[name](caller, *args)

    def bind(self, caller: wasmtime.Caller) -> None:
        """Instantiate the adapter in the caller's store (once): guest memory and preview 1 in, wrappers out."""
        if self._memory is not None:
            return
        memory = caller.get("memory")
        if not isinstance(memory, wasmtime.Memory):
            raise MemoryFault("the guest exports no memory")
        names = [item.name or "" for item in self._module.imports if item.module == PREVIEW1]
        imports = [memory, *(self._linker.get(caller, PREVIEW1, name) for name in names)]
        exports = wasmtime.Instance(caller, self._module, imports).exports(caller)
        self._funcs = {name: func for name in names if isinstance(func := exports[name], wasmtime.Func)}
        self._memory = memory

    def fits(self, caller: wasmtime.Caller, ptr: int, length: int) -> bool:
        """True when ``[ptr, ptr + length)`` lies in guest memory (binds first)."""
        self.bind(caller)
        return self._memory is not None and ptr >= 0 and ptr + length <= self._memory.data_len(caller)

    def read(self, caller: wasmtime.Caller, ptr: int, length: int) -> bytes:
        return bytes(self._checked(caller, ptr, length).read(caller, ptr, ptr + length))

    def write(self, caller: wasmtime.Caller, ptr: int, data: bytes) -> None:
        if data:
            self._checked(caller, ptr, len(data)).write(caller, data, ptr)

    def _checked(self, caller: wasmtime.Caller, ptr: int, length: int) -> wasmtime.Memory:
        if not self.fits(caller, ptr, length) or self._memory is None:
            raise MemoryFault(f"Pointer out of bounds: bytes [{ptr}, {ptr + length}) lie outside guest memory")
        return self._memory


Adapter = Callable[[WasiUnstableInstance, wasmtime.Caller, str, Sequence[int]], Any]


def _passthrough(state: WasiUnstableInstance, caller: wasmtime.Caller, name: str, args: Sequence[int]) -> Any:
    return state.call(caller, name, args)


def _fd_seek(state: WasiUnstableInstance, caller: wasmtime.Caller, name: str, args: Sequence[int]) -> Any:
    fd, offset, whence, result = args
    return state.call(caller, name, (fd, offset, WHENCE_TO_PREVIEW1.get(whence, whence), result))


def _fd_fdstat_get(state: WasiUnstableInstance, caller: wasmtime.Caller, name: str, args: Sequence[int]) -> Any:
    errno = state.call(caller, name, args)
    if errno == 0:  # preview 1 wrote the same 24-byte fdstat; drop the rights snapshot 0 does not have
        rights = (args[1] & U32) + 8
        base, inheriting = struct.unpack("<QQ", state.read(caller, rights, 16))
        state.write(caller, rights, struct.pack("<QQ", base & SNAPSHOT0_RIGHTS, inheriting & SNAPSHOT0_RIGHTS))
    return errno


def _filestat(state: WasiUnstableInstance, caller: wasmtime.Caller, name: str, args: Sequence[int]) -> Any:
    """fd_filestat_get, path_filestat_get: preview 1 writes its 64 bytes over the guest's 56 (and 8 more, saved
    and restored), then the 56-byte snapshot-0 filestat is written in their place."""
    buf = args[-1] & U32
    if not state.fits(caller, buf, FILESTAT0.size):
        raise MemoryFault(f"Pointer out of bounds: a filestat at {buf} lies outside guest memory")
    extra = FILESTAT1.size - FILESTAT0.size
    scratch = buf if state.fits(caller, buf, FILESTAT1.size) else buf - extra  # 8-aligned if buf is
    saved = state.read(caller, scratch, FILESTAT1.size)
    try:
        errno = state.call(caller, name, (*args[:-1], scratch))
        written = state.read(caller, scratch, FILESTAT1.size) if errno == 0 else b""
    finally:
        state.write(caller, scratch, saved)
    if errno == 0:
        state.write(caller, buf, filestat0(written))
    return errno


def filestat0(filestat: bytes) -> bytes:
    """Preview 1's 64-byte filestat as snapshot 0's 56 bytes (``nlink`` u32, saturated as wasmtime's adapter does)."""
    dev, ino, filetype, nlink, size, atim, mtim, ctim = FILESTAT1.unpack(filestat)
    return FILESTAT0.pack(dev, ino, filetype, min(nlink, U32), size, atim, mtim, ctim)


def subscription1(sub: bytes) -> bytes:
    """One 56-byte snapshot-0 subscription as preview 1's 48 bytes (the clock's ``identifier`` is dropped)."""
    if sub[8] != 0:  # fd_read / fd_write (or an invalid tag, which preview 1 refuses): same first 48 bytes
        return sub[:SUBSCRIPTION1]
    clock_id, timeout, precision, flags = CLOCK0.unpack_from(sub, 16)
    return sub[:16] + CLOCK1.pack(clock_id, timeout, precision, flags)


def _poll_oneoff(state: WasiUnstableInstance, caller: wasmtime.Caller, name: str, args: Sequence[int]) -> Any:
    """Converts the subscriptions in place (48 <= 56 bytes each), polls, then puts the guest's bytes back except
    where preview 1 wrote its answer (events are 32 bytes in both snapshots)."""
    subs, events, count, nevents = (arg & U32 for arg in args)
    size = count * SUBSCRIPTION0
    if size == 0:
        return state.call(caller, name, args)
    if not state.fits(caller, subs, size):
        raise MemoryFault(f"Pointer out of bounds: {count} subscriptions at {subs} lie outside guest memory")
    original = state.read(caller, subs, size)
    converted = b"".join(subscription1(original[i : i + SUBSCRIPTION0]) for i in range(0, size, SUBSCRIPTION0))
    state.write(caller, subs, converted)
    try:
        errno = state.call(caller, name, args)
    except BaseException:
        state.write(caller, subs, original)
        raise
    restored = bytearray(original)
    current = state.read(caller, subs, size)
    for start, length in ((events, EVENT * count), (nevents, 4)):
        low, high = max(start, subs) - subs, min(start + length, subs + size) - subs
        if low < high:
            restored[low:high] = current[low:high]
    state.write(caller, subs, bytes(restored))
    return errno


ADAPTED: dict[str, Adapter] = {
    "fd_seek": _fd_seek,
    "fd_fdstat_get": _fd_fdstat_get,
    "fd_filestat_get": _filestat,
    "path_filestat_get": _filestat,
    "poll_oneoff": _poll_oneoff,
}
"""The snapshot-0 functions whose arguments or memory layouts differ from preview 1; the rest pass through."""


def _fault_text(name: str, exc: BaseException) -> str | None:
    """What a failed call records on the instance; None when the deadline interrupted the adapter."""
    if isinstance(exc, wasmtime.ExitTrap):
        return f"guest trapped: guest exited with status {exc.code}"
    if isinstance(exc, wasmtime.Trap) and exc.trap_code == wasmtime.TrapCode.INTERRUPT:
        return None  # the guest itself stops at its next epoch check
    if isinstance(exc, wasmtime.Trap | wasmtime.WasmtimeError | MemoryFault):
        return f"guest trapped: {_root_cause(exc)}"
    logger.error("WASI import %s.%s failed", NAMESPACE, name, exc_info=exc)
    return f"host import {NAMESPACE}.{name} failed: internal error"


class WasiUnstable:
    """The ``wasi_unstable`` imports of one runtime's linker, and the adapter modules they call through."""

    def __init__(self, engine: wasmtime.Engine, linker: wasmtime.Linker, active: ActiveAbi) -> None:
        self._engine = engine
        self._linker = linker
        self._active = active
        self._adapters: dict[tuple[str, ...], wasmtime.Module] = {}
        self._lock = threading.Lock()
        for name in SIGNATURES:
            linker.define_func(NAMESPACE, name, functype(name), self._callback(name), access_caller=True)

    def adapter(self, names: tuple[str, ...]) -> wasmtime.Module:
        """The adapter for a module importing the snapshot-0 ``names``; compiled once per runtime and name set."""
        with self._lock:
            module = self._adapters.get(names)
            if module is None:
                module = wasmtime.Module(self._engine, bytes(wasmtime.wat2wasm(adapter_wat(names))))
                self._adapters[names] = module
        return module

    def new_instance(self, names: tuple[str, ...]) -> WasiUnstableInstance:
        """Fresh per-instance state for a module importing ``names``."""
        return WasiUnstableInstance(self._linker, self.adapter(names))

    def _callback(self, name: str) -> Callable[..., int | None]:
        adapt, active = ADAPTED.get(name, _passthrough), self._active
        failed = None if name in NO_RESULT else ERRNO_INTR

        def callback(caller: wasmtime.Caller, *args: int) -> int | None:
            abi = active.abi
            state = abi.wasi_unstable if abi is not None else None
            if abi is None or state is None or abi.fault is not None:
                return failed  # a stopped guest's WASI calls do nothing
            try:
                result: int | None = adapt(state, caller, name, args)
            except BaseException as exc:  # nothing may unwind through wasmtime
                if isinstance(exc, wasmtime.ExitTrap):
                    state.exit_status = exc.code
                text = _fault_text(name, exc)
                if text is not None and abi.fault is None:
                    abi.fault = text
                return failed
            return result

        return callback
