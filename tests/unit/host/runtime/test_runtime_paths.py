"""The fast (low-level ``_ffi``) and public wasmtime call paths give identical results."""

from __future__ import annotations

import ctypes
import logging

import pytest
import wasmtime

from host.runtime import ActorPool, Limits, PoolClosed, Runtime, RuntimeConfig, WasmRuntimeError, fastcall
from host.runtime.abi import Abi, ImportSpec
from host.runtime.instance import Instance
from tests.unit.host.runtime import runtime_guests as guests
from tests.unit.host.runtime.runtime_handlers import Recorder

SCENARIOS: list[tuple[bytes, str, bytes]] = [
    (guests.echo(), "Echo.Say", bytes(range(16))),
    (guests.echo("wasmbus"), "Echo.Say", b"x" * 70_000),
    (guests.kitchen(), "host", b"payload"),
    (guests.kitchen(), "Host bad binding", b"payload"),
    (guests.kitchen(), "host", b""),
    (guests.kitchen(), "fail", b""),
    (guests.kitchen(), "Fail silently", b""),
    (guests.kitchen(), "trap", b""),
    (guests.kitchen(), "loop", b""),
    (guests.kitchen(), "grow", b""),
    (guests.kitchen(), "Grow then trap", b""),
    (guests.kitchen(), "console", b"line"),
    (guests.kitchen(), "k", b""),
    (guests.kitchen(), "zero", b""),
    (guests.kitchen(), "no response", b""),
    (guests.wasm(guests.WASI), "Print", b""),
    *((guests.bad_pointers(), op, b"") for op in "qrebnopsxcwv-"),
]


def outcomes(fast: bool) -> list[tuple[str, bytes | str, list[str]]]:
    """Run every scenario on a fresh pool and describe what came back (value or error, and the log)."""
    results: list[tuple[str, bytes | str, list[str]]] = []
    limits = Limits(memory_bytes=4 * 1024 * 1024, deadline_ms=50)
    with Runtime(RuntimeConfig(fast_path=fast)) as runtime:
        assert runtime.fast_path is fast
        for wasm, operation, payload in SCENARIOS:
            recorder = Recorder()
            pool = ActorPool(runtime, runtime.compile(wasm, "h"), limits, host_calls=recorder, log=recorder.log)
            try:
                results.append(("ok", pool.invoke_sync(operation, payload), recorder.lines))
            except WasmRuntimeError as exc:
                results.append((type(exc).__name__, str(exc), recorder.lines))
            pool.close_sync()
    return results


def test_fast_and_public_paths_agree() -> None:
    fast, public = outcomes(fast=True), outcomes(fast=False)
    assert fast == public
    kinds = {kind for kind, _, _ in fast}
    assert kinds == {"ok", "GuestError", "GuestTrapped", "DeadlineExceeded"}  # the table covers every outcome


def test_fast_path_is_the_default_on_the_pinned_wasmtime() -> None:
    assert fastcall.fast_path_problem() is None
    with Runtime() as runtime:
        assert runtime.fast_path
        assert isinstance(runtime.path, fastcall.FastPath)


def test_public_path_on_request() -> None:
    with Runtime(RuntimeConfig(fast_path=False)) as runtime:
        assert not runtime.fast_path
        assert isinstance(runtime.path, fastcall.PublicPath)


def test_automatic_fallback_when_the_fast_path_is_unavailable(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(fastcall, "PINNED_WASMTIME", "0.0.0")
    assert "pinned to 0.0.0" in (fastcall.fast_path_problem() or "")
    with caplog.at_level(logging.WARNING, logger="host.runtime"), Runtime(RuntimeConfig(fast_path=True)) as runtime:
        assert not runtime.fast_path
        pool = ActorPool(runtime, runtime.compile(guests.echo(), "h"), host_calls=Recorder())
        assert pool.invoke_sync("Echo", b"fallback") == b"fallback"
    assert any("fast call path unavailable" in record.getMessage() for record in caplog.records)


def test_missing_ffi_symbols_are_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastcall, "_FFI_SYMBOLS", (*fastcall._FFI_SYMBOLS, "wasmtime_no_such_symbol"))
    assert fastcall.fast_path_problem() == "wasmtime._ffi lacks wasmtime_no_such_symbol"


def failing_import(abi: object, caller: object) -> None:
    raise RuntimeError("bug in an import")


FAILING_SPEC = ImportSpec("__console_log", 0, False, failing_import)


def test_fast_import_failure_becomes_a_trap_not_an_exception(caplog: pytest.LogCaptureFixture) -> None:
    abi = Abi(fastcall.FastMemory(), Recorder(), print)
    active = fastcall.ActiveAbi()
    active.abi = abi
    callback = fastcall._fast_callback(active, FAILING_SPEC)
    args = (ctypes.c_uint32 * 4)()
    with caplog.at_level(logging.ERROR, logger="host.runtime"):
        trap = callback(None, None, args, 0)
    assert trap != 0  # a wasm_trap_t* handed back to wasmtime
    wasmtime._ffi.wasm_trap_delete(ctypes.cast(trap, ctypes.POINTER(wasmtime._ffi.wasm_trap_t)))
    assert abi.fault == "host import __console_log failed: internal error"
    assert "waPC import __console_log failed" in caplog.text


def test_public_import_failure_returns_and_records_the_fault(caplog: pytest.LogCaptureFixture) -> None:
    abi = Abi(fastcall.PublicMemory(), Recorder(), print)
    active = fastcall.ActiveAbi()
    active.abi = abi
    callback = fastcall._public_callback(active, FAILING_SPEC)
    with caplog.at_level(logging.ERROR, logger="host.runtime"):
        assert callback(None) is None
    assert abi.fault == "host import __console_log failed: internal error"


def test_closed_instance_refuses_calls(runtime: Runtime) -> None:
    instance = Instance(runtime, runtime.compile(guests.echo(), "h"), Limits(), Recorder(), print)
    assert instance.call("Echo", b"x") == b"x"
    instance.close()
    instance.close()
    with pytest.raises(PoolClosed):
        instance.call("Echo", b"x")
