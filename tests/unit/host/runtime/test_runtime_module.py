"""Compiling and instantiating: validation, init exports, WASI, and the disk cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from host.runtime import (
    ActorPool,
    GuestTrapped,
    InstantiationFailed,
    Limits,
    ModuleInvalid,
    PoolClosed,
    Runtime,
    RuntimeConfig,
)
from tests.unit.host.runtime import runtime_guests as guests
from tests.unit.host.runtime.runtime_handlers import Recorder

GUEST_CALL_OK = '(func (export "__guest_call") (param i32 i32) (result i32) (i32.const 1))'
INVALID_MODULES = {
    "not wasm": (b"hello", "must start with"),
    "text format": (b"(module)", "must start with"),
    "truncated": (b"\0asm\x01\0\0\0\x01", "invalid wasm module"),
    "no guest call": (guests.wasm('(module (memory (export "memory") 1))'), "does not export __guest_call"),
    "guest call signature": (
        guests.wasm('(module (memory (export "memory") 1) (func (export "__guest_call") (param i32)))'),
        r"\(i32, i32\) -> i32",
    ),
    "no memory": (guests.wasm(f"(module {GUEST_CALL_OK})"), "must export its linear memory"),
    "memory64": (
        guests.wasm(f'(module (memory (export "memory") i64 1) {GUEST_CALL_OK})'),
        "32-bit, unshared",
    ),
    "foreign import": (
        guests.wasm(f'(module (import "env" "abort" (func)) (memory (export "memory") 1) {GUEST_CALL_OK})'),
        "unsupported import env.abort",
    ),
    "unknown wapc import": (
        guests.wasm(f'(module (import "wapc" "__nope" (func)) (memory (export "memory") 1) {GUEST_CALL_OK})'),
        "unknown waPC import wapc.__nope",
    ),
    "wrong wapc signature": (
        guests.wasm(
            f'(module (import "wasmbus" "__host_response_len" (func)) (memory (export "memory") 1) {GUEST_CALL_OK})'
        ),
        "wasmbus.__host_response_len has the wrong signature",
    ),
    "unknown wasi import": (
        guests.wasm(
            '(module (import "wasi_snapshot_preview1" "no_such_call" (func)) (memory (export "memory") 1) '
            f"{GUEST_CALL_OK})"
        ),
        "imports cannot be satisfied",
    ),
    "init with params": (
        guests.wasm(f'(module (memory (export "memory") 1) (func (export "wapc_init") (param i32)) {GUEST_CALL_OK})'),
        "init export wapc_init must be a function taking and returning nothing",
    ),
}


@pytest.mark.parametrize("case", sorted(INVALID_MODULES))
def test_invalid_modules_are_refused(runtime: Runtime, case: str) -> None:
    wasm, message = INVALID_MODULES[case]
    with pytest.raises(ModuleInvalid, match=message):
        runtime.compile(wasm, "h")


def test_compiled_module_describes_itself(runtime: Runtime) -> None:
    module = runtime.compile(guests.kitchen("wasmbus"), "MHASH")
    assert module.module_hash == "MHASH"
    assert set(module.exports) == {"memory", "__guest_call"}
    assert module.import_namespaces == frozenset({"wasmbus"})
    assert not module.uses_wasi
    assert module.init_exports == ()
    assert not module.cache_hit


def test_module_from_another_runtime_is_refused(runtime: Runtime) -> None:
    with Runtime() as other:
        foreign = other.compile(guests.echo(), "h")
        with pytest.raises(ModuleInvalid, match="another Runtime"):
            ActorPool(runtime, foreign, host_calls=Recorder())


@pytest.mark.parametrize(
    ("exports", "expected"),
    [
        (("start", "wapc_init", "_start", "_initialize"), b"\x01\x02\x03"),
        (("_initialize", "wapc_init"), b"\x02\x04"),
        (("_start", "start"), b"\x01\x03"),
        ((), b""),
    ],
)
def test_init_exports_run_once_in_order(runtime: Runtime, exports: tuple[str, ...], expected: bytes) -> None:
    module = runtime.compile(guests.wasm(guests.init_order_guest(exports)), "h")
    pool = ActorPool(runtime, module, host_calls=Recorder())
    assert pool.invoke_sync("Init.Order", b"") == expected
    assert pool.invoke_sync("Init.Order", b"") == expected  # not run again per call


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("(unreachable)", "init export wapc_init failed: wasm trap: wasm `unreachable` instruction executed"),
        ("(loop $l (br $l))", "init export wapc_init failed: deadline of 100 ms exceeded"),
        ("(call $guest_response (i32.const -1) (i32.const 8))", "out-of-bounds buffer to __guest_response"),
    ],
)
def test_failing_init_refuses_the_pool(runtime: Runtime, body: str, message: str) -> None:
    module = runtime.compile(guests.wasm(guests.init_guest(body)), "h")
    with pytest.raises(InstantiationFailed, match=message):
        ActorPool(runtime, module, Limits(deadline_ms=100), host_calls=Recorder())


def test_wasi_output_goes_to_the_log(runtime: Runtime, recorder: Recorder) -> None:
    module = runtime.compile(guests.wasm(guests.WASI), "h")
    assert module.uses_wasi
    assert module.init_exports == ("_start",)
    pool = ActorPool(runtime, module, host_calls=recorder, log=recorder.log)
    assert recorder.lines == ["started"]
    errno = pool.invoke_sync("Print", b"")
    assert errno == bytes([8])  # EBADF: fd 3 is no preopened directory, the guest has no files
    assert recorder.lines == ["started", "hello from wasi", "stderr: oops", "tail"]


def test_compile_on_a_closed_runtime(tmp_path: Path) -> None:
    runtime = Runtime(RuntimeConfig(cache_dir=tmp_path))
    runtime.close()
    with pytest.raises(PoolClosed, match="runtime is closed"):
        runtime.compile(guests.echo(), "h")


def test_disk_cache_is_used_by_the_next_runtime(tmp_path: Path, recorder: Recorder) -> None:
    wasm = guests.echo()
    cache_dir = tmp_path / "cache"
    with Runtime(RuntimeConfig(cache_dir=cache_dir)) as first:
        module = first.compile(wasm, "h")
        cache_file = first.cache_path(wasm)
    assert not module.cache_hit
    assert cache_file is not None
    assert cache_file.is_file()
    written = cache_file.stat()
    assert written.st_mode & 0o777 == 0o600
    assert cache_dir.stat().st_mode & 0o777 == 0o700

    with Runtime(RuntimeConfig(cache_dir=cache_dir)) as second:
        cached = second.compile(wasm, "h")
        assert cached.cache_hit
        assert second.cache_path(wasm) == cache_file
        assert cache_file.stat().st_mtime_ns == written.st_mtime_ns  # loaded, not rewritten
        pool = ActorPool(second, cached, host_calls=recorder)
        assert pool.invoke_sync("Echo", b"from cache") == b"from cache"
    assert sorted(p.name for p in cache_dir.iterdir()) == [cache_file.name]


def test_unusable_cache_file_is_replaced(tmp_path: Path, recorder: Recorder) -> None:
    wasm = guests.echo()
    with Runtime(RuntimeConfig(cache_dir=tmp_path)) as runtime:
        cache_file = runtime.cache_path(wasm)
        assert cache_file is not None
        cache_file.write_bytes(b"not machine code")
        module = runtime.compile(wasm, "h")
        assert not module.cache_hit
        assert cache_file.read_bytes() != b"not machine code"
        assert ActorPool(runtime, module, host_calls=recorder).invoke_sync("Echo", b"x") == b"x"
    with Runtime(RuntimeConfig(cache_dir=tmp_path)) as runtime:
        assert runtime.compile(wasm, "h").cache_hit


def test_cache_key_covers_the_bytes(tmp_path: Path) -> None:
    with Runtime(RuntimeConfig(cache_dir=tmp_path)) as runtime:
        assert runtime.cache_path(guests.echo()) != runtime.cache_path(guests.echo("wasmbus"))
        runtime.compile(guests.echo(), "same-hash")
        assert not runtime.compile(guests.echo("wasmbus"), "same-hash").cache_hit
    assert len(os.listdir(tmp_path)) == 2


def test_proc_exit_zero_ends_init_normally(runtime: Runtime) -> None:
    module = runtime.compile(guests.wasm(guests.proc_exit_guest(0, 7)), "h")
    pool = ActorPool(runtime, module, host_calls=Recorder())
    with pytest.raises(GuestTrapped, match=r"^guest trapped: guest exited with status 7$"):
        pool.invoke_sync("Exit", b"")
    assert pool.size == 0  # the exited instance was dropped; the next call gets a new one


def test_proc_exit_nonzero_in_init_refuses_the_pool(runtime: Runtime) -> None:
    module = runtime.compile(guests.wasm(guests.proc_exit_guest(3, 0)), "h")
    with pytest.raises(InstantiationFailed, match=r"^init export _start exited with status 3$"):
        ActorPool(runtime, module, host_calls=Recorder())
