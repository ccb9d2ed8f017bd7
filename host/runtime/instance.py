"""One guest instance: its own Store, its waPC state, its init, and one guest call at a time.

This is the only module that runs guest code. Callers guarantee one thread at a time per instance
(the pool checks instances out). Any trap, deadline or ABI fault marks the instance ``broken``; the
pool then discards it, because a trapped guest's heap may be left mid-operation. A call run ``inline`` on the event
loop that has to move to a worker thread (:mod:`host.runtime.inline`) raises :class:`MovedOffLoop` and breaks the
instance the same way; the log lines it wrote are dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import wasmtime

from host.runtime.abi import Abi, HostCallHandler, Log, MovedOffLoop
from host.runtime.errors import DeadlineExceeded, GuestError, GuestTrapped, InstantiationFailed, PoolClosed
from host.runtime.limits import Limits
from host.runtime.module import GUEST_CALL, CompiledModule
from host.runtime.wasi import WasiOutput

if TYPE_CHECKING:
    from host.runtime.engine import Runtime

MAX_ABI_LENGTH = 0x7FFF_FFFF
NO_GUEST_ERROR = "guest call failed without an error message"


def describe(exc: BaseException) -> str:
    """The root cause line of a wasmtime error (its message ends with it), without the backtrace."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def _interrupted(exc: Exception) -> bool:
    """True when ``exc`` is the epoch interruption that enforces call deadlines."""
    return isinstance(exc, wasmtime.Trap) and exc.trap_code == wasmtime.TrapCode.INTERRUPT


class Instance:
    """A live instance of a :class:`CompiledModule` (see the module docstring)."""

    def __init__(
        self, runtime: Runtime, module: CompiledModule, limits: Limits, host_calls: HostCallHandler, log: Log
    ) -> None:
        self.module = module
        self.broken = False
        self._closed = False
        self._runtime = runtime
        self._deadline_ms = limits.deadline_ms
        self._ticks = limits.deadline_ticks(runtime.config.epoch_tick_ms)
        self._inline_ticks = min(self._ticks, runtime.inline_ticks)
        self._store = wasmtime.Store(runtime.engine)
        self._store.set_limits(memory_size=limits.memory_bytes)
        self._wasi = WasiOutput(log) if module.uses_wasi else None
        if self._wasi is not None:
            self._wasi.attach(self._store)
        self.abi = Abi(runtime.path.new_memory(), host_calls, log)
        if module.wasi_unstable:
            self.abi.wasi_unstable = runtime.wasi_unstable.new_instance(module.wasi_unstable)
        try:
            exports = self._instantiate()
        except BaseException:
            self.close()
            raise
        self._guest_call = runtime.path.guest_call(self._store, exports[GUEST_CALL])

    def _instantiate(self) -> dict[str, wasmtime.Func]:
        active = self._runtime.active
        outer, active.abi = active.abi, self.abi
        try:
            self._store.set_epoch_deadline(self._ticks)
            instance = self.module.instance_pre.instantiate(self._store)
            exports = instance.exports(self._store)
            funcs = {name: exports[name] for name in (GUEST_CALL, *self.module.init_exports)}
            for name in self.module.init_exports:
                self._run_init(name, funcs[name])
        except InstantiationFailed:
            raise
        except Exception as exc:
            raise InstantiationFailed(f"instantiating the module failed: {self._explain(exc)}") from None
        finally:
            active.abi = outer
            self._flush_output()
        return {name: func for name, func in funcs.items() if isinstance(func, wasmtime.Func)}

    def _run_init(self, name: str, func: object) -> None:
        if not isinstance(func, wasmtime.Func):
            raise InstantiationFailed(f"init export {name} is not a function")
        self.abi.begin(b"", b"")
        self._store.set_epoch_deadline(self._ticks)
        failure: Exception | None = None
        try:
            func(self._store)
        except wasmtime.ExitTrap as exc:
            if exc.code != 0:
                raise InstantiationFailed(f"init export {name} exited with status {exc.code}") from None
        except Exception as exc:
            failure = exc
        if self._exited_normally(name):
            return
        if failure is not None:
            raise InstantiationFailed(f"init export {name} failed: {self._explain(failure)}") from None
        if self.abi.fault is not None:
            raise InstantiationFailed(f"init export {name} failed: {self.abi.fault}")

    def _exited_normally(self, name: str) -> bool:
        """True when init export ``name`` called snapshot 0's ``proc_exit(0)``; raises for another status.

        (Preview 1's ``proc_exit`` arrives as ``ExitTrap``; snapshot 0's is recorded, see ``wasi_unstable``.)
        """
        state = self.abi.wasi_unstable
        status = state.take_exit() if state is not None else None
        if status is None:
            return False
        if status != 0:
            raise InstantiationFailed(f"init export {name} exited with status {status}")
        self.abi.fault = None
        return True

    def call(self, operation: str, payload: bytes, inline: bool = False) -> bytes:
        """Run one guest call (docs/protocol.md §1.4). Raises GuestError, GuestTrapped or DeadlineExceeded, and,
        when ``inline`` (on the event loop, under the inline budget), MovedOffLoop."""
        if self._closed:
            raise PoolClosed("this instance has been closed")
        op = operation.encode("utf-8")
        if len(op) > MAX_ABI_LENGTH or len(payload) > MAX_ABI_LENGTH:
            raise ValueError("operation or payload too long for a 32-bit guest")
        abi = self.abi
        abi.begin(op, bytes(payload), inline)
        if inline and self._wasi is not None:
            self._wasi.hold()
        active = self._runtime.active
        outer, active.abi = active.abi, abi
        try:
            try:
                status = self._guest_call(len(op), len(payload), self._inline_ticks if inline else self._ticks)
            finally:
                active.abi = outer
        except Exception as exc:
            self.broken = True
            error = self._trap_error(exc, inline)
            self._finish_output(inline, error)
            raise error from None
        if abi.fault is not None:
            self.broken = True
            failure = MovedOffLoop(abi.fault) if abi.moved else GuestTrapped(abi.fault)
            self._finish_output(inline, failure)
            raise failure
        self._finish_output(inline, None)
        if status == 1:
            return abi.guest_resp or b""
        raise GuestError(abi.guest_err.decode("utf-8", "replace") if abi.guest_err else NO_GUEST_ERROR)

    def _trap_error(self, exc: Exception, inline: bool) -> Exception:
        if self.abi.moved:
            return MovedOffLoop(self.abi.fault or "moved off the event loop")
        if self.abi.fault is not None:
            return GuestTrapped(self.abi.fault)
        if _interrupted(exc):
            if inline and self._inline_ticks < self._ticks:
                return MovedOffLoop("the call ran past its inline budget")
            return DeadlineExceeded(f"guest call exceeded its deadline of {self._deadline_ms} ms")
        return GuestTrapped(f"guest trapped: {self._explain(exc)}")

    def _finish_output(self, inline: bool, error: Exception | None) -> None:
        """Write out the call's log lines; an inline call's only if it did not move (its rerun writes them)."""
        keep = not isinstance(error, MovedOffLoop)
        if inline:
            if keep:
                self.abi.write_held_lines()
            else:
                self.abi.held_lines = None
        if self._wasi is not None:
            if inline:
                self._wasi.release(write=keep)
            else:
                self._wasi.flush()

    def _explain(self, exc: Exception) -> str:
        if self.abi.fault is not None:
            return self.abi.fault
        if _interrupted(exc):
            return f"deadline of {self._deadline_ms} ms exceeded"
        if isinstance(exc, wasmtime.ExitTrap):
            return f"guest exited with status {exc.code}"
        return describe(exc)

    def _flush_output(self) -> None:
        if self._wasi is not None:
            self._wasi.flush()

    def close(self) -> None:
        """Free the store (and with it the instance's memory). Idempotent."""
        self.broken = self._closed = True
        self._store.close()
