"""The waPC ABI (docs/protocol.md §1): guest calls, host calls, errors, logging and bad guest pointers."""

from __future__ import annotations

import logging
import threading

import pytest

from host.runtime import ActorPool, GuestError, GuestTrapped, HostCallFailed, Limits, Runtime
from host.runtime.abi import HOST_CALL_INTERNAL_ERROR
from tests.unit.host.runtime import runtime_guests as guests
from tests.unit.host.runtime.runtime_handlers import Recorder


def make_pool(runtime: Runtime, wasm: bytes, recorder: Recorder, limits: Limits | None = None) -> ActorPool:
    module = runtime.compile(wasm, "test-hash")
    return ActorPool(runtime, module, limits, host_calls=recorder, log=recorder.log, name="test")


async def test_echo_round_trip(runtime: Runtime, recorder: Recorder) -> None:
    pool = await ActorPool.start(runtime, runtime.compile(guests.echo(), "h"), host_calls=recorder)
    payload = bytes(range(16))
    assert await pool.invoke("Echo.Say", payload) == payload
    assert await pool.invoke("Echo.Say", b"") == b""
    await pool.close()


def test_echo_large_payload(runtime: Runtime, recorder: Recorder) -> None:
    pool = make_pool(runtime, guests.echo(), recorder)
    payload = bytes(range(256)) * 400  # 100 KiB, fits the guest's 2 pages after its 1 KiB op buffer
    assert pool.invoke_sync("Echo.Say", payload) == payload


@pytest.mark.parametrize("namespace", ["wapc", "wasmbus"])
def test_both_import_namespaces(runtime: Runtime, recorder: Recorder, namespace: str) -> None:
    module = runtime.compile(guests.kitchen(namespace), "h")
    assert module.import_namespaces == frozenset({namespace})
    pool = ActorPool(runtime, module, host_calls=recorder, log=recorder.log)
    assert pool.invoke_sync("echo", b"abc") == b"abc"
    assert pool.invoke_sync("host", b"ping") == b"pong:ping"


def test_host_call_round_trip(runtime: Runtime, recorder: Recorder) -> None:
    pool = make_pool(runtime, guests.kitchen(), recorder)
    assert pool.invoke_sync("host", b"\x00\xffdata") == b"pong:\x00\xffdata"
    assert recorder.calls == [("default", "wasmcloud:test", "Test.Op", b"\x00\xffdata")]


async def test_host_call_runs_on_a_worker_thread(runtime: Runtime, recorder: Recorder) -> None:
    pool = await ActorPool.start(runtime, runtime.compile(guests.kitchen(), "h"), host_calls=recorder)
    assert await pool.invoke("host", b"x") == b"pong:x"
    assert recorder.threads[0] is not threading.current_thread()
    assert recorder.threads[0].name.startswith("wasm-worker")
    await pool.close()


def test_host_call_failure_reaches_the_guest(runtime: Runtime) -> None:
    def refuse(binding: str, namespace: str, operation: str, payload: bytes) -> bytes:
        raise HostCallFailed(f"Invocation not authorized: missing link definition for {namespace}")

    pool = ActorPool(runtime, runtime.compile(guests.kitchen(), "h"), host_calls=refuse, log=print)
    with pytest.raises(GuestError, match=r"^Invocation not authorized: missing link definition for wasmcloud:test$"):
        pool.invoke_sync("host", b"x")


@pytest.mark.parametrize("answer", [KeyError("boom"), "not bytes"])
def test_host_call_internal_error(runtime: Runtime, caplog: pytest.LogCaptureFixture, answer: object) -> None:
    def broken(binding: str, namespace: str, operation: str, payload: bytes) -> bytes:
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[return-value]

    pool = ActorPool(runtime, runtime.compile(guests.kitchen(), "h"), host_calls=broken, log=print)
    with caplog.at_level(logging.ERROR, logger="host.runtime"), pytest.raises(GuestError) as caught:
        pool.invoke_sync("host", b"x")
    assert str(caught.value) == HOST_CALL_INTERNAL_ERROR
    assert caplog.records, "the handler's failure must be logged"
    assert pool.invoke_sync("echo", b"still serving") == b"still serving"


def test_host_call_with_non_utf8_binding(runtime: Runtime, recorder: Recorder) -> None:
    pool = make_pool(runtime, guests.kitchen(), recorder)
    with pytest.raises(GuestError, match="must be UTF-8"):
        pool.invoke_sync("Host with bad binding", b"x")
    assert recorder.calls == []


def test_guest_error(runtime: Runtime, recorder: Recorder) -> None:
    pool = make_pool(runtime, guests.kitchen(), recorder)
    with pytest.raises(GuestError, match=r"^guest says no$"):
        pool.invoke_sync("fail", b"")
    with pytest.raises(GuestError, match="without an error message"):
        pool.invoke_sync("Fail silently", b"")
    assert pool.invoke_sync("echo", b"after") == b"after"


def test_missing_response_is_empty(runtime: Runtime, recorder: Recorder) -> None:
    pool = make_pool(runtime, guests.kitchen(), recorder)
    assert pool.invoke_sync("no response", b"ignored") == b""


def test_zero_length_buffer_accepts_any_pointer(runtime: Runtime, recorder: Recorder) -> None:
    pool = make_pool(runtime, guests.kitchen(), recorder)
    assert pool.invoke_sync("zero-length response at 0xFFFFFFFF", b"") == b""


def test_console_log_goes_to_the_log(runtime: Runtime, recorder: Recorder) -> None:
    pool = make_pool(runtime, guests.kitchen(), recorder)
    pool.invoke_sync("console", "héllo wörld".encode())
    pool.invoke_sync("console", b"bad \xff utf-8")
    assert recorder.lines == ["héllo wörld", "bad \ufffd utf-8"]


def test_console_log_default_logger(runtime: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    module = runtime.compile(guests.kitchen(), "h")
    pool = ActorPool(runtime, module, host_calls=Recorder(), name="echo-actor")
    with caplog.at_level(logging.INFO, logger="host.runtime.guest"):
        pool.invoke_sync("console", b"to the logging module")
    assert [r.getMessage() for r in caplog.records if r.name == "host.runtime.guest"] == [
        "[echo-actor] to the logging module"
    ]


def test_failing_log_sink_is_contained(runtime: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    def sink(line: str) -> None:
        raise OSError("disk full")

    pool = ActorPool(runtime, runtime.compile(guests.kitchen(), "h"), host_calls=Recorder(), log=sink)
    with caplog.at_level(logging.ERROR, logger="host.runtime"):
        assert pool.invoke_sync("console", b"line") == b""
    assert any("log sink failed" in r.getMessage() for r in caplog.records)


BAD_POINTER_CASES = [
    ("q", "__guest_request"),
    ("r", "__guest_response"),
    ("e", "__guest_error"),
    ("b", "__host_call"),
    ("n", "__host_call"),
    ("o", "__host_call"),
    ("p", "__host_call"),
    ("s", "__host_response"),
    ("x", "__host_error"),
    ("c", "__console_log"),
    ("w", "__guest_response"),
    ("v", "__guest_response"),
]


@pytest.mark.parametrize(("op", "import_name"), BAD_POINTER_CASES)
def test_bad_pointer_fails_the_call_cleanly(runtime: Runtime, recorder: Recorder, op: str, import_name: str) -> None:
    pool = make_pool(runtime, guests.bad_pointers(), recorder)
    with pytest.raises(GuestTrapped, match=f"out-of-bounds buffer to {import_name}: bytes"):
        pool.invoke_sync(op, b"")
    assert pool.invoke_sync("-", b"") == b"ok"  # the replacement instance serves
    assert pool.size == 1


def test_payload_larger_than_guest_memory(runtime: Runtime, recorder: Recorder) -> None:
    pool = make_pool(runtime, guests.echo(), recorder)
    with pytest.raises(GuestTrapped, match="out-of-bounds buffer to __guest_request"):
        pool.invoke_sync("Echo.Say", b"x" * 200_000)  # the guest has 128 KiB and no allocator
    assert pool.invoke_sync("Echo.Say", b"ok") == b"ok"
