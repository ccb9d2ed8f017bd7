"""WASI in both snapshots: preview 1 (wasmtime's own) and snapshot 0 (``wasi_unstable``, bound to preview 1).

Most tests run one guest written for each snapshot and expect the same outcome, on both call paths.
"""

from __future__ import annotations

import logging
import re
import struct
from pathlib import Path

import pytest
import wasmtime

from host.runtime import (
    ActorPool,
    DeadlineExceeded,
    GuestTrapped,
    InstantiationFailed,
    Limits,
    ModuleInvalid,
    Runtime,
    WasmRuntimeError,
)
from host.runtime import wasi_unstable as snapshot0
from tests.unit.host.runtime import wasi_guests as guests
from tests.unit.host.runtime.runtime_handlers import Recorder

both = pytest.mark.parametrize("namespace", guests.SNAPSHOTS)
ESUCCESS, EBADF, ENOTSOCK, ESPIPE = 0, 8, 57, 70
RIGHT_FD_WRITE = 1 << 6
GUEST_CALL = '(func (export "__guest_call") (param i32 i32) (result i32) (i32.const 1))'


def outcome(
    runtime: Runtime, wasm: bytes, operation: str = "x", limits: Limits | None = None
) -> tuple[str, bytes | str, int]:
    """One call on a fresh pool: ("ok", response) or (error class, message), and the pool's size after it."""
    pool = ActorPool(runtime, runtime.compile(wasm, "h"), limits or Limits(), host_calls=Recorder())
    try:
        return "ok", pool.invoke_sync(operation, b""), pool.size
    except WasmRuntimeError as exc:
        return type(exc).__name__, str(exc), pool.size
    finally:
        pool.close_sync()


def answer_of(runtime: Runtime, wasm: bytes, operation: str = "x") -> bytes:
    kind, answer, _ = outcome(runtime, wasm, operation)
    assert kind == "ok", answer
    assert isinstance(answer, bytes)
    return answer


def test_wasmtime_itself_provides_preview1_only() -> None:
    """Why snapshot 0 is bound by hand: wasmtime-py's define_wasi leaves ``wasi_unstable`` undefined."""
    engine = wasmtime.Engine()
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    wat = '(module (import "{ns}" "fd_write" (func (param i32 i32 i32 i32) (result i32))))'
    with pytest.raises(wasmtime.WasmtimeError, match="wasi_unstable::fd_write` has not been defined"):
        linker.instantiate_pre(wasmtime.Module(engine, guests.wasm(wat, guests.SNAPSHOT0)))
    linker.instantiate_pre(wasmtime.Module(engine, guests.wasm(wat, guests.PREVIEW1)))


def test_every_snapshot0_function_has_its_preview1_signature() -> None:
    engine = wasmtime.Engine()
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    store = wasmtime.Store(engine)
    assert len(snapshot0.SIGNATURES) == 45  # phases/old/snapshot_0/witx/wasi_unstable.witx
    for name in snapshot0.SIGNATURES:
        preview1 = linker.get(store, snapshot0.PREVIEW1, name)
        assert isinstance(preview1, wasmtime.Func)
        ours, theirs = snapshot0.functype(name), preview1.type(store)
        assert [str(t) for t in ours.params] == [str(t) for t in theirs.params], name
        assert [str(t) for t in ours.results] == [str(t) for t in theirs.results], name


@both
def test_an_old_guest_answers_and_its_output_reaches_the_log(
    runtime: Runtime, recorder: Recorder, namespace: str
) -> None:
    module = runtime.compile(guests.wasm(guests.PRINT, namespace), "h")
    assert module.uses_wasi
    assert module.wasi_unstable == (("fd_write",) if namespace == guests.SNAPSHOT0 else ())
    pool = ActorPool(runtime, module, host_calls=recorder, log=recorder.log)
    assert recorder.lines == ["started"]
    assert pool.invoke_sync("Echo", b"waPC payload") == b"waPC payload"
    assert pool.invoke_sync("Echo", b"again") == b"again"
    assert recorder.lines == ["started"] + ["hello from an old guest", "stderr: oops"] * 2
    pool.close_sync()


def test_snapshot0_output_reaches_the_host_guest_logger(runtime: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    module = runtime.compile(guests.wasm(guests.PRINT, guests.SNAPSHOT0), "h")
    with caplog.at_level(logging.INFO, logger="host.runtime.guest"):
        pool = ActorPool(runtime, module, host_calls=Recorder(), name="MOLDGUEST")
        assert pool.invoke_sync("Echo", b"x") == b"x"
        pool.close_sync()
    lines = [r.getMessage() for r in caplog.records if r.name == "host.runtime.guest"]
    assert lines == ["[MOLDGUEST] started", "[MOLDGUEST] hello from an old guest", "[MOLDGUEST] stderr: oops"]


@pytest.mark.parametrize(
    ("import_", "message"),
    [
        (
            '(import "wasi_unstable" "sock_accept" (func (param i32 i32 i32) (result i32)))',
            r"^unsupported import wasi_unstable\.sock_accept: WASI snapshot 0 has no such function$",
        ),
        (
            '(import "wasi_unstable" "no_such_call" (func))',
            r"^unsupported import wasi_unstable\.no_such_call: WASI snapshot 0 has no such function$",
        ),
        (
            '(import "wasi_unstable" "fd_write" (func (param i32 i32 i32) (result i32)))',
            r"^import wasi_unstable\.fd_write has the wrong signature$",
        ),
        ('(import "wasi_unstable" "random_get" (global i32))', r"wasi_unstable\.random_get has the wrong signature"),
        ('(import "wasi" "fd_write" (func))', r"wasi_snapshot_preview1 and wasi_unstable are provided"),
    ],
)
def test_unsupported_snapshot0_imports_are_refused_at_compile(runtime: Runtime, import_: str, message: str) -> None:
    wat = f'(module {import_} (memory (export "memory") 1) {GUEST_CALL})'
    with pytest.raises(ModuleInvalid, match=message):
        runtime.compile(bytes(wasmtime.wat2wasm(wat)), "h")


def test_the_sandbox_is_the_same_in_both_snapshots(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASMLATTICE_TEST_SECRET", "must not reach guests")
    answers = {}
    for namespace in guests.SNAPSHOTS:
        answer = answer_of(runtime, guests.wasm(guests.SANDBOX, namespace))
        answers[namespace] = struct.unpack(f"<{len(answer) // 4}I", answer)
    assert answers[guests.SNAPSHOT0] == answers[guests.PREVIEW1]
    assert answers[guests.SNAPSHOT0] == (
        *(ESUCCESS, 0, 0),  # no arguments
        *(ESUCCESS, 0, 0),  # no environment
        EBADF,  # fd 3 is no preopened directory: there are none
        *(EBADF, EBADF, EBADF),  # so no path opens or stats, from fd 3 or from stdin
        *(ESUCCESS, 0),  # stdin is empty
        ESUCCESS,  # random numbers
        *(ESUCCESS, 1),  # clocks
        *(ESUCCESS, 0, RIGHT_FD_WRITE, RIGHT_FD_WRITE),  # stdout: may only be written to
        *(ESPIPE, ESPIPE),  # and not seeked
        *(ENOTSOCK, ENOTSOCK, ENOTSOCK),  # no sockets
        *(EBADF, EBADF),  # no other descriptors
    )


@pytest.mark.parametrize("where", ["s", "e"])
def test_snapshot0_filestat_is_56_bytes(runtime: Runtime, where: str) -> None:
    answer = answer_of(runtime, guests.wasm(guests.FILESTAT, guests.SNAPSHOT0), where)
    errno, before, filestat, after = answer[:4], answer[4:12], answer[12:68], answer[68:]
    assert errno == bytes(4)
    assert before == after == b"\xaa" * 8  # nothing written outside the 56 bytes
    assert filestat == bytes(56)  # stdout: unknown file type, no links, size or times


def test_preview1_filestat_is_64_bytes(runtime: Runtime) -> None:
    answer = answer_of(runtime, guests.wasm(guests.FILESTAT, guests.PREVIEW1), "s")
    assert answer[:4] == bytes(4)
    assert answer[4:12] == b"\xaa" * 8
    assert answer[68:] == bytes(8)  # ctim, at 56


@both
def test_a_failed_filestat_writes_nothing(runtime: Runtime, namespace: str) -> None:
    answer = answer_of(runtime, guests.wasm(guests.FILESTAT, namespace), "path")
    assert answer == struct.pack("<I", EBADF) + b"\xaa" * 72


def test_filestat_conversion_follows_the_snapshot0_layout() -> None:
    values = (0x0102030405060708, 0x1112131415161718, 4, 2**40, 0x2122232425262728, 31, 32, 33)
    preview1 = struct.pack("<QQB7xQQQQQ", *values)
    converted = snapshot0.filestat0(preview1)
    assert len(converted) == 56  # offsets per wasi-libc's snapshot-0 wasi/core.h static asserts
    assert struct.unpack_from("<QQB", converted, 0) == values[:3]
    assert struct.unpack_from("<I", converted, 20) == (0xFFFF_FFFF,)  # u32 nlink saturates
    assert struct.unpack_from("<QQQQ", converted, 24) == values[4:]


def test_subscription_conversion_follows_the_preview1_layout() -> None:
    clock = struct.pack("<QB7xQI4xQQH6x", 7, 0, 0xFEEDFACE, 1, 5_000, 100, 1)
    assert len(clock) == 56
    converted = snapshot0.subscription1(clock)
    assert len(converted) == 48
    assert struct.unpack("<QB7xI4xQQH6x", converted) == (7, 0, 1, 5_000, 100, 1)  # identifier dropped
    fd_read = struct.pack("<QB7xI", 8, 1, 4).ljust(56, b"\x99")
    assert snapshot0.subscription1(fd_read)[:20] == fd_read[:20]


def test_whence_values_follow_the_witx_order() -> None:
    snapshot0_order, preview1_order = ("cur", "end", "set"), ("set", "cur", "end")
    for value, name in enumerate(snapshot0_order):
        assert snapshot0.WHENCE_TO_PREVIEW1[value] == preview1_order.index(name)


@both
def test_poll_oneoff_on_a_clock(runtime: Runtime, namespace: str) -> None:
    subscriptions = guests.clock_subscription(namespace, 42, 1_000_000)
    answer = answer_of(runtime, guests.poll_guest(namespace, subscriptions, 1))
    assert struct.unpack_from("<II", answer) == (ESUCCESS, 1)
    assert struct.unpack_from("<QHB", answer, 8) == (42, 0, 0)  # userdata, no error, clock
    assert answer[40:] == subscriptions  # the guest's subscriptions are left as they were


@both
def test_poll_oneoff_reads_every_subscription(runtime: Runtime, namespace: str) -> None:
    subscriptions = guests.clock_subscription(namespace, 42, 2_000_000_000) + guests.fd_write_subscription(
        namespace, 43, 1
    )
    answer = answer_of(runtime, guests.poll_guest(namespace, subscriptions, 2))
    assert struct.unpack_from("<II", answer) == (ESUCCESS, 1)
    assert struct.unpack_from("<QHB", answer, 8) == (43, 0, 2)  # stdout is writable now; the clock is far off
    assert answer[72:] == subscriptions


@pytest.mark.parametrize("operation", ["bad pointer", "whence", "alignment"])
def test_faults_trap_the_same_way_in_both_snapshots(runtime: Runtime, operation: str) -> None:
    results = {ns: outcome(runtime, guests.wasm(guests.FAULTS, ns), operation) for ns in guests.SNAPSHOTS}
    assert results[guests.SNAPSHOT0] == results[guests.PREVIEW1]
    kind, message, size = results[guests.SNAPSHOT0]
    assert kind == "GuestTrapped"
    assert isinstance(message, str)
    assert message.startswith("guest trapped: ")
    assert size == 0  # the instance was discarded


@both
@pytest.mark.parametrize("operation", ["poll", "stat"])
def test_adapted_functions_trap_on_buffers_past_the_end_of_memory(
    runtime: Runtime, namespace: str, operation: str
) -> None:
    kind, message, size = outcome(runtime, guests.wasm(guests.FAULTS, namespace), operation)
    assert kind == "GuestTrapped"
    assert isinstance(message, str)
    assert re.match(r"guest trapped: (1: )?Pointer out of bounds", message)
    assert size == 0


@both
def test_a_guest_looping_on_wasi_calls_meets_its_deadline(runtime: Runtime, namespace: str) -> None:
    result = outcome(runtime, guests.wasm(guests.FAULTS, namespace), "loop", Limits(deadline_ms=100))
    assert result == ("DeadlineExceeded", "guest call exceeded its deadline of 100 ms", 0)


@both
@pytest.mark.parametrize("status", [0, 7])
def test_proc_exit_in_a_call_discards_the_instance(
    runtime: Runtime, recorder: Recorder, namespace: str, status: int
) -> None:
    pool = ActorPool(runtime, runtime.compile(guests.exit_guest(namespace, 0, status), "h"), host_calls=recorder,
                     log=recorder.log)  # fmt: skip
    with pytest.raises(GuestTrapped, match=rf"^guest trapped: guest exited with status {status}$") as caught:
        pool.invoke_sync("Exit", b"")
    assert not isinstance(caught.value, DeadlineExceeded)
    assert recorder.lines == []  # snapshot 0's exit returns to the guest, but its later WASI calls do nothing
    assert pool.size == 0
    pool.close_sync()


@both
def test_proc_exit_with_a_status_in_init_refuses_the_pool(runtime: Runtime, namespace: str) -> None:
    with pytest.raises(InstantiationFailed, match=r"^init export _start exited with status 3$"):
        ActorPool(runtime, runtime.compile(guests.exit_guest(namespace, 3, 0), "h"), host_calls=Recorder())


@both
def test_an_invalid_exit_status_traps(runtime: Runtime, namespace: str) -> None:
    kind, message, _ = outcome(runtime, guests.exit_guest(namespace, None, 200))
    assert (kind, message) == ("GuestTrapped", "guest trapped: exit with invalid exit status outside of [0..126)")


@both
def test_a_start_function_may_write_output(runtime: Runtime, recorder: Recorder, namespace: str) -> None:
    module = runtime.compile(guests.wasm(guests.START_SECTION, namespace), "h")
    pool = ActorPool(runtime, module, host_calls=recorder, log=recorder.log)
    assert pool.invoke_sync("Errno", b"") == bytes(4)
    assert recorder.lines == ["from the start function"]
    pool.close_sync()


OLD_GUESTS = Path(__file__).parent / "old_guests"


def test_a_real_assemblyscript_0_9_guest_runs(runtime: Runtime, recorder: Recorder) -> None:
    """A binary from a toolchain of the snapshot-0 era (source and build command beside it)."""
    module = runtime.compile((OLD_GUESTS / "as09_wasi_unstable.wasm").read_bytes(), "h")
    assert module.wasi_unstable == ("environ_sizes_get", "fd_filestat_get", "fd_seek", "fd_write", "proc_exit")
    pool = ActorPool(runtime, module, host_calls=recorder, log=recorder.log)

    def words(operation: str) -> tuple[int, ...]:
        answer = pool.invoke_sync(operation, b"")
        return struct.unpack(f"<{len(answer) // 4}I", answer)

    assert pool.invoke_sync("Print", b"a waPC payload") == b"a waPC payload"
    assert recorder.lines == ["hello from AssemblyScript 0.9", "stderr: and from its stderr"]
    # errno, sizeof(filestat) as the toolchain lays it out, filetype, nlink, size, the word after it (untouched)
    assert words("Stat") == (ESUCCESS, 56, 0, 0, 0, 0xABABABAB)
    assert words("Seek") == (ESPIPE, ESPIPE)
    assert words("Environ") == (ESUCCESS, 0, 0)
    with pytest.raises(GuestTrapped, match=r"^guest trapped: guest exited with status 3$"):
        pool.invoke_sync("Exit", b"")
    pool.close_sync()
