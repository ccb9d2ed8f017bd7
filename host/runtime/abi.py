"""The waPC ABI: the nine host imports a guest sees, under both ``wapc`` and ``wasmbus`` (docs/protocol.md §1).

One :class:`Abi` object per instance holds the per-call state (request, response, errors, last host
call result). Each import is one small method. The methods know nothing about how wasmtime reaches
them: ``host.runtime.fastcall`` wraps them for the low-level or the public wasmtime API and passes
an opaque ``caller`` token through to :class:`GuestMemory`.

An import may raise :class:`MemoryFault` (the guest handed a pointer/length outside its memory) or, during a call
run inline on the event loop, :class:`MovedOffLoop` (a host call the handler cannot serve there, see
:mod:`host.runtime.inline`); the wrapper records it and traps the guest. Nothing else escapes: host-call handler
failures become the guest's host error, a failing log sink is logged and ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import wasmtime

from host.errors import HostError
from host.runtime.errors import HostCallFailed

if TYPE_CHECKING:
    from host.runtime.wasi_unstable import WasiUnstableInstance

WAPC_NAMESPACES = ("wapc", "wasmbus")
"""Import module names the waPC functions are defined under (classic waPC and wasmbus-rpc actors)."""

HOST_CALL_INTERNAL_ERROR = "host call failed: internal error"

logger = logging.getLogger("host.runtime")

Log = Callable[[str], None]
"""Where a guest's log lines (``__console_log``, WASI stdout/stderr) go."""


class HostCallHandler(Protocol):
    """Serves a guest's ``__host_call``; runs synchronously on the thread of the guest call.

    Returns the response bytes, or raises :class:`HostCallFailed` whose message becomes the guest's
    host error. Any other exception is logged and reported to the guest as an internal error.

    A handler may have an ``inline_namespaces`` attribute: the namespaces whose calls it serves at once without
    blocking, so also on the event loop thread (built-ins). A call inline on the loop that makes a host call outside
    them moves to a worker thread before the handler sees it (:mod:`host.runtime.inline`).
    """

    def __call__(self, binding: str, namespace: str, operation: str, payload: bytes) -> bytes: ...


def inline_namespaces(handler: HostCallHandler) -> frozenset[str]:
    """The namespaces ``handler`` serves without blocking (none unless it says so)."""
    return frozenset(getattr(handler, "inline_namespaces", ()))


class MemoryFault(HostError):
    """A guest pointer/length pair lies outside the guest's memory (internal, never leaves the package)."""


class MovedOffLoop(HostError):
    """A call inline on the event loop must start again on a worker thread (internal, never leaves the package)."""


class GuestMemory(Protocol):
    """Bounds-checked access to one instance's exported ``memory``; raises :class:`MemoryFault`."""

    def read(self, caller: object, ptr: int, length: int) -> bytes: ...

    def write(self, caller: object, ptr: int, data: bytes) -> None: ...


class Abi:
    """Per-instance waPC state and the nine imports (pointers and lengths arrive as unsigned ints)."""

    __slots__ = (
        "blocking",
        "fault",
        "guest_err",
        "guest_resp",
        "held_lines",
        "host_calls",
        "host_err",
        "host_resp",
        "inline",
        "inline_namespaces",
        "log",
        "memory",
        "moved",
        "operation",
        "payload",
        "wasi_unstable",
    )

    def __init__(self, memory: GuestMemory, host_calls: HostCallHandler, log: Log) -> None:
        self.memory = memory
        self.host_calls = host_calls
        self.inline_namespaces = inline_namespaces(host_calls)
        self.log = log
        self.wasi_unstable: WasiUnstableInstance | None = None
        """The instance's WASI snapshot 0 state, for modules importing ``wasi_unstable``."""
        self.begin(b"", b"")

    def begin(self, operation: bytes, payload: bytes, inline: bool = False) -> None:
        """Clear all per-call state and stage the next request; ``inline``: the call runs on the event loop."""
        self.operation = operation
        self.payload = payload
        self.guest_resp: bytes | None = None
        self.guest_err: bytes | None = None
        self.host_resp = b""
        self.host_err = b""
        self.fault: str | None = None
        self.inline = inline
        self.blocking = False
        """The call made a host call outside the handler's inline namespaces."""
        self.moved = False
        """The call, inline, has to start again on a worker thread (it made such a host call)."""
        self.held_lines: list[str] | None = [] if inline else None
        """Log lines of an inline call, written out only if the call is not moved (so never twice)."""

    def write_held_lines(self) -> None:
        lines, self.held_lines = self.held_lines, None
        for line in lines or ():
            emit(self.log, line)

    def guest_request(self, caller: object, op_ptr: int, msg_ptr: int) -> None:
        self.memory.write(caller, op_ptr, self.operation)
        self.memory.write(caller, msg_ptr, self.payload)

    def guest_response(self, caller: object, ptr: int, length: int) -> None:
        self.guest_resp = self.memory.read(caller, ptr, length)

    def guest_error(self, caller: object, ptr: int, length: int) -> None:
        self.guest_err = self.memory.read(caller, ptr, length)

    def host_call(
        self,
        caller: object,
        bd_ptr: int,
        bd_len: int,
        ns_ptr: int,
        ns_len: int,
        op_ptr: int,
        op_len: int,
        ptr: int,
        length: int,
    ) -> int:
        self.host_resp = b""
        self.host_err = b""
        read = self.memory.read
        raw = (read(caller, bd_ptr, bd_len), read(caller, ns_ptr, ns_len), read(caller, op_ptr, op_len))
        payload = read(caller, ptr, length)
        try:
            binding, namespace, operation = (part.decode("utf-8") for part in raw)
        except UnicodeDecodeError:
            self.host_err = b"host call rejected: binding, namespace and operation must be UTF-8"
            return 0
        if namespace not in self.inline_namespaces:
            self.blocking = True
            if self.inline:
                self.moved = True
                raise MovedOffLoop(f"host call to {namespace!r} cannot be served on the event loop")
        return self._run_host_call(binding, namespace, operation, payload)

    def _run_host_call(self, binding: str, namespace: str, operation: str, payload: bytes) -> int:
        try:
            response: object = self.host_calls(binding, namespace, operation, payload)
        except HostCallFailed as exc:
            self.host_err = str(exc).encode("utf-8", "replace")
            return 0
        except Exception:
            logger.exception("host call handler failed (%s, %s, %s)", binding, namespace, operation)
            self.host_err = HOST_CALL_INTERNAL_ERROR.encode()
            return 0
        if not isinstance(response, bytes | bytearray | memoryview):
            logger.error("host call handler returned %s, not bytes", type(response).__name__)
            self.host_err = HOST_CALL_INTERNAL_ERROR.encode()
            return 0
        self.host_resp = bytes(response)
        return 1

    def host_response_len(self, caller: object) -> int:
        return len(self.host_resp)

    def host_response(self, caller: object, ptr: int) -> None:
        self.memory.write(caller, ptr, self.host_resp)

    def host_error_len(self, caller: object) -> int:
        return len(self.host_err)

    def host_error(self, caller: object, ptr: int) -> None:
        self.memory.write(caller, ptr, self.host_err)

    def console_log(self, caller: object, ptr: int, length: int) -> None:
        line = self.memory.read(caller, ptr, length).decode("utf-8", "replace")
        if self.held_lines is not None:
            self.held_lines.append(line)
        else:
            emit(self.log, line)


def emit(log: Log, line: str) -> None:
    """Hand one guest log line to ``log``; a failing sink is logged, never raised."""
    try:
        log(line)
    except Exception:
        logger.exception("guest log sink failed")


@dataclass(frozen=True)
class ImportSpec:
    """One waPC import: its name, its number of i32 parameters, whether it returns an i32."""

    name: str
    params: int
    returns_i32: bool
    method: Callable[..., int | None]


IMPORTS: tuple[ImportSpec, ...] = (
    ImportSpec("__guest_request", 2, False, Abi.guest_request),
    ImportSpec("__guest_response", 2, False, Abi.guest_response),
    ImportSpec("__guest_error", 2, False, Abi.guest_error),
    ImportSpec("__host_call", 8, True, Abi.host_call),
    ImportSpec("__host_response_len", 0, True, Abi.host_response_len),
    ImportSpec("__host_response", 1, False, Abi.host_response),
    ImportSpec("__host_error_len", 0, True, Abi.host_error_len),
    ImportSpec("__host_error", 1, False, Abi.host_error),
    ImportSpec("__console_log", 2, False, Abi.console_log),
)
IMPORTS_BY_NAME = {spec.name: spec for spec in IMPORTS}


class ImportBinder(Protocol):
    """Defines one waPC import in a linker, wrapped for one wasmtime call path."""

    def define(self, linker: wasmtime.Linker, namespace: str, spec: ImportSpec) -> None: ...


def define_imports(linker: wasmtime.Linker, binder: ImportBinder) -> None:
    """Define the nine waPC imports under every name in :data:`WAPC_NAMESPACES`, once per linker."""
    for namespace in WAPC_NAMESPACES:
        for spec in IMPORTS:
            binder.define(linker, namespace, spec)
