"""The committed example actors (actors-examples/*/NAME.wasm) speak the waPC ABI and the interface payloads.

Each signed module runs under plain wasmtime with a stub `wapc` host defined here: the stub records every
`__host_call` (binding, namespace, operation, payload) and answers from a script, so the tests check the exact
outbound calls and how each actor handles the answers. The claims custom section does not affect wasmtime.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgpack
import pytest
import wasmtime
from wasmtime import FuncType, ValType

from lattice import claims
from lattice.claims import wasm as claims_wasm

ROOT = Path(__file__).resolve().parents[3] / "actors-examples"
MANIFEST = json.loads((ROOT / "manifest.json").read_text())
ACTORS = sorted(MANIFEST["actors"])
HANDLE_REQUEST = "HttpServer.HandleRequest"

# (params, results) as counts of i32; ValType objects are made on use, never kept in module globals
# (their finalisers fail when the interpreter tears module globals down).
WAPC_ARITY: dict[str, tuple[int, int]] = {
    "__guest_request": (2, 0),
    "__guest_response": (2, 0),
    "__guest_error": (2, 0),
    "__host_call": (8, 1),
    "__host_response_len": (0, 1),
    "__host_response": (1, 0),
    "__host_error_len": (0, 1),
    "__host_error": (1, 0),
    "__console_log": (2, 0),
}


def wapc_signature(name: str) -> tuple[list[ValType], list[ValType]]:
    params, results = WAPC_ARITY[name]
    return [ValType.i32() for _ in range(params)], [ValType.i32() for _ in range(results)]


HostCall = tuple[str, str, str, bytes]
# A scripted answer: (True, response bytes) or (False, error text); an int forces __host_call's return value.
Answer = tuple[bool, bytes] | tuple[int, bytes]
Script = Callable[[HostCall], Answer]


def pack(value: Any) -> bytes:
    data = msgpack.packb(value, use_bin_type=True)
    assert isinstance(data, bytes)
    return data


def memory_of(caller: wasmtime.Caller) -> wasmtime.Memory:
    memory = caller["memory"]
    assert isinstance(memory, wasmtime.Memory)
    return memory


def unpack(data: bytes) -> Any:
    return msgpack.unpackb(data, raw=False)


def http_request(path: str = "/", **overrides: Any) -> bytes:
    req: dict[str, Any] = {"method": "GET", "path": path, "queryString": "", "header": {}, "body": b""}
    req.update(overrides)
    return pack(req)


@dataclass
class GuestResult:
    rc: int
    response: bytes | None
    error: str | None

    def http(self) -> tuple[int, dict[str, list[str]], Any]:
        assert self.rc == 1, self.error
        assert self.response is not None
        res = unpack(self.response)
        assert set(res) == {"statusCode", "header", "body"}
        assert isinstance(res["body"], bytes), "body must be bin"
        assert res["header"]["Content-Type"] == ["application/json"]
        return res["statusCode"], res["header"], json.loads(res["body"])


@dataclass
class StubHost:
    """Per-instance waPC host state, as a real host keeps it (docs/protocol.md §1.4, §1.5)."""

    script: Script = lambda call: (False, b"no host call expected")
    calls: list[HostCall] = field(default_factory=list)
    request: tuple[bytes, bytes] = (b"", b"")
    response: bytes | None = None
    error: bytes | None = None
    pending_response: bytes = b""
    pending_error: bytes = b""

    def define(self, linker: wasmtime.Linker) -> None:
        for name in WAPC_ARITY:
            params, results = wapc_signature(name)
            fn = getattr(self, name.strip("_"))
            needs_caller = name not in ("__host_response_len", "__host_error_len")
            linker.define_func("wapc", name, FuncType(params, results), fn, access_caller=needs_caller)

    @staticmethod
    def read(caller: wasmtime.Caller, ptr: int, length: int) -> bytes:
        return bytes(memory_of(caller).read(caller, ptr, ptr + length)) if length else b""

    @staticmethod
    def write(caller: wasmtime.Caller, ptr: int, data: bytes) -> None:
        if data:
            memory_of(caller).write(caller, data, ptr)

    def guest_request(self, caller: wasmtime.Caller, op_ptr: int, msg_ptr: int) -> None:
        self.write(caller, op_ptr, self.request[0])
        self.write(caller, msg_ptr, self.request[1])

    def guest_response(self, caller: wasmtime.Caller, ptr: int, length: int) -> None:
        self.response = self.read(caller, ptr, length)

    def guest_error(self, caller: wasmtime.Caller, ptr: int, length: int) -> None:
        self.error = self.read(caller, ptr, length)

    def host_call(self, caller: wasmtime.Caller, *args: int) -> int:
        parts = [self.read(caller, args[i], args[i + 1]) for i in range(0, 8, 2)]
        call = (parts[0].decode(), parts[1].decode(), parts[2].decode(), parts[3])
        self.calls.append(call)
        ok, data = self.script(call)
        self.pending_response, self.pending_error = (data, b"") if ok is True else (b"", data)
        return 1 if ok is True else 0 if ok is False else ok

    def host_response_len(self) -> int:
        return len(self.pending_response)

    def host_response(self, caller: wasmtime.Caller, ptr: int) -> None:
        self.write(caller, ptr, self.pending_response)

    def host_error_len(self) -> int:
        return len(self.pending_error)

    def host_error(self, caller: wasmtime.Caller, ptr: int) -> None:
        self.write(caller, ptr, self.pending_error)

    def console_log(self, caller: wasmtime.Caller, ptr: int, length: int) -> None:
        self.calls.append(("console", "", "", self.read(caller, ptr, length)))


class Guest:
    def __init__(self, engine: wasmtime.Engine, module: wasmtime.Module, script: Script | None = None) -> None:
        self.host = StubHost() if script is None else StubHost(script=script)
        self.store = wasmtime.Store(engine)
        linker = wasmtime.Linker(engine)
        self.host.define(linker)
        exports = linker.instantiate(self.store, module).exports(self.store)
        guest_call, memory = exports["__guest_call"], exports["memory"]
        assert isinstance(guest_call, wasmtime.Func)
        assert isinstance(memory, wasmtime.Memory)
        self.guest_call, self.memory = guest_call, memory

    def memory_pages(self) -> int:
        return int(self.memory.size(self.store))

    def call(self, operation: str, payload: bytes) -> GuestResult:
        self.host.request = (operation.encode(), payload)
        self.host.response = self.host.error = None
        rc = int(self.guest_call(self.store, len(self.host.request[0]), len(payload)))
        error = None if self.host.error is None else self.host.error.decode()
        return GuestResult(rc, self.host.response, error)


@pytest.fixture(scope="module")
def engine() -> wasmtime.Engine:
    return wasmtime.Engine()


@pytest.fixture(scope="module")
def modules(engine: wasmtime.Engine) -> dict[str, wasmtime.Module]:
    return {name: wasmtime.Module(engine, (ROOT / MANIFEST["actors"][name]["wasm"]).read_bytes()) for name in ACTORS}


@pytest.fixture
def guest(engine: wasmtime.Engine, modules: dict[str, wasmtime.Module]) -> Callable[..., Guest]:
    """Makes a fresh instance of the named actor, with an optional host-call script."""

    def make(name: str, script: Script | None = None) -> Guest:
        return Guest(engine, modules[name], script)

    return make


def test_manifest_lists_every_actor_directory() -> None:
    assert sorted(p.parent.name for p in ROOT.glob("*/actor.json")) == ACTORS
    assert ACTORS == ["echo", "kvcounter", "logger", "pinger", "ponger", "uppercase"]


@pytest.mark.parametrize("name", ACTORS)
def test_module_imports_only_wapc_functions(modules: dict[str, wasmtime.Module], name: str) -> None:
    module = modules[name]
    for imp in module.imports:
        assert imp.module == "wapc"
        assert imp.name in WAPC_ARITY
        params, results = wapc_signature(imp.name)
        assert isinstance(imp.type, FuncType)
        assert [str(p) for p in imp.type.params] == [str(p) for p in params]
        assert [str(r) for r in imp.type.results] == [str(r) for r in results]
    exports = {e.name: e.type for e in module.exports}
    assert set(exports) == {"__guest_call", "memory"}
    guest_call = exports["__guest_call"]
    assert isinstance(guest_call, FuncType)
    assert [str(p) for p in guest_call.params] == ["i32", "i32"]
    assert [str(r) for r in guest_call.results] == ["i32"]


@pytest.mark.parametrize("name", ACTORS)
def test_signed_claims_match_manifest(name: str) -> None:
    entry = MANIFEST["actors"][name]
    module = (ROOT / entry["wasm"]).read_bytes()
    found = claims.read_claims(module)
    spec = json.loads((ROOT / name / "actor.json").read_text())
    assert found.subject == entry["public_key"]
    assert found.issuer == MANIFEST["account"]
    assert found.metadata.hash == entry["module_sha256"] == claims_wasm.module_hash(module)
    assert list(found.metadata.capabilities) == entry["caps"] == spec["caps"]
    assert found.metadata.call_alias == entry["call_alias"] == spec["call_alias"]
    assert (found.metadata.name, found.metadata.rev, found.metadata.ver) == (spec["name"], spec["rev"], spec["ver"])


@pytest.mark.parametrize("name", ACTORS)
def test_unknown_operation_is_a_guest_error(guest: Callable[..., Guest], name: str) -> None:
    result = guest(name).call("Nope.Nothing", b"")
    assert result.rc == 0
    assert result.error == 'Could not find function "Nope.Nothing"'


def test_echo_describes_the_request(guest: Callable[..., Guest]) -> None:
    header = {"Accept": ["*/*"], "X-Multi": ["a", "b"], "X-Quote": ['say "hi"\n\\\x01'], "X-Ü": ["€ 😀"]}
    req = http_request("/a/b", method="POST", queryString="x=1&y=2", header=header, body=b"hello")
    status, _, body = guest("echo").call(HANDLE_REQUEST, req).http()
    assert status == 200
    assert body == {"method": "POST", "path": "/a/b", "query": "x=1&y=2", "headers": header, "body_size": 5}


def test_echo_accepts_str_body_unknown_fields_and_large_bodies(guest: Callable[..., Guest]) -> None:
    echo = guest("echo")
    extra = {"extra": [1, {"nested": b"x" * 300}, msgpack.ExtType(5, b"abc"), 1.5, None, -70000]}
    req = pack({"body": "a str body", **extra, "method": "PUT", "path": "/p", "queryString": "", "header": {}})
    assert echo.call(HANDLE_REQUEST, req).http()[2]["body_size"] == 10
    big = http_request("/big", body=b"\x00" * 70_000, header={"X-Long": ["v" * 300]})
    status, _, body = echo.call(HANDLE_REQUEST, big).http()
    assert (status, body["body_size"], body["headers"]["X-Long"]) == (200, 70_000, ["v" * 300])


def with_raw_path(raw: bytes) -> bytes:
    """An HttpRequest whose path is a MessagePack str holding `raw` unchecked (msgpack-python won't pack bad UTF-8)."""
    marker = b"\xa8__path__"
    return http_request("__path__").replace(marker, bytes([0xD9, len(raw)]) + raw)


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"\x93\x01\x02\x03",
        b"\x85\xa6method",
        b"\xdf\xff\xff\xff\xff",
        http_request()[:-3],
        http_request() + b"\x00",
        with_raw_path(b"/\xff"),
        with_raw_path(b"/\xed\xa0\x80"),
        with_raw_path(b"/\xc0\xaf"),
    ],
    ids=["empty", "array", "truncated", "huge-map", "cut-body", "trailing", "bad-utf8", "surrogate", "overlong"],
)
def test_echo_rejects_malformed_requests_without_trapping(guest: Callable[..., Guest], payload: bytes) -> None:
    echo = guest("echo")
    result = echo.call(HANDLE_REQUEST, payload)
    assert result.rc == 0
    assert result.error is not None
    assert result.error.startswith("decoding HttpRequest: ")
    assert echo.call(HANDLE_REQUEST, http_request("/ok")).http()[2]["path"] == "/ok"


def test_kvcounter_increments_the_path_counter(guest: Callable[..., Guest]) -> None:
    kv = guest("kvcounter", lambda call: (True, pack(42)))
    status, _, body = kv.call(HANDLE_REQUEST, http_request("/foo")).http()
    assert (status, body) == (200, {"counter": 42})
    expected = pack({"key": "counter:/foo", "value": 1})
    assert kv.host.calls == [("default", "wasmcloud:keyvalue", "KeyValue.Increment", expected)]


@pytest.mark.parametrize("rc", [0, -1], ids=["otp-0", "rust-0xffffffff"])
def test_kvcounter_reports_host_errors_as_500(guest: Callable[..., Guest], rc: int) -> None:
    kv = guest("kvcounter", lambda call: (rc, b'no link for "wasmcloud:keyvalue"'))
    status, _, body = kv.call(HANDLE_REQUEST, http_request("/foo")).http()
    assert (status, body) == (500, {"error": 'no link for "wasmcloud:keyvalue"'})


def test_kvcounter_rejects_a_response_that_is_not_an_i32(guest: Callable[..., Guest]) -> None:
    kv = guest("kvcounter", lambda call: (True, pack("seven")))
    status, _, body = kv.call(HANDLE_REQUEST, http_request("/foo")).http()
    assert status == 500
    assert body["error"].startswith("decoding i32: expected integer")


def test_pinger_calls_ponger_by_alias(guest: Callable[..., Guest]) -> None:
    pinger = guest("pinger", lambda call: (True, pack("pong from ponger")))
    status, _, body = pinger.call(HANDLE_REQUEST, http_request("/ping")).http()
    assert (status, body) == (200, {"pong": "pong from ponger"})
    assert pinger.host.calls == [("", "ponger", "Pingpong.Ping", b"")]


def test_pinger_reports_a_failed_call_as_500(guest: Callable[..., Guest]) -> None:
    pinger = guest("pinger", lambda call: (False, b"Call alias not found"))
    status, _, body = pinger.call(HANDLE_REQUEST, http_request("/ping")).http()
    assert (status, body) == (500, {"error": "Call alias not found"})


def test_ponger_answers_ping_with_a_msgpack_str(guest: Callable[..., Guest]) -> None:
    result = guest("ponger").call("Pingpong.Ping", b"")
    assert result.rc == 1
    assert result.response == pack("pong from ponger")


def test_uppercase_publishes_the_upper_cased_body_to_reply_to(guest: Callable[..., Guest]) -> None:
    up = guest("uppercase", lambda call: (True, b""))
    msg = pack({"subject": "in", "replyTo": "_INBOX.1", "body": "hello, wörld 42".encode()})
    result = up.call("MessageSubscriber.HandleMessage", msg)
    assert (result.rc, result.response) == (1, b"")
    published = pack({"subject": "_INBOX.1", "body": "HELLO, WöRLD 42".encode()})
    assert up.host.calls == [("default", "wasmcloud:messaging", "Messaging.Publish", published)]


def test_uppercase_without_reply_to_publishes_nothing(guest: Callable[..., Guest]) -> None:
    up = guest("uppercase")
    for msg in ({"subject": "in", "body": b"x"}, {"subject": "in", "replyTo": None, "body": b"x"}):
        result = up.call("MessageSubscriber.HandleMessage", pack(msg))
        assert (result.rc, result.response) == (1, b"")
    assert up.host.calls == []


def test_uppercase_returns_a_publish_failure_as_guest_error(guest: Callable[..., Guest]) -> None:
    up = guest("uppercase", lambda call: (False, b"nats down"))
    result = up.call("MessageSubscriber.HandleMessage", pack({"subject": "s", "replyTo": "r", "body": b""}))
    assert (result.rc, result.error) == (0, "nats down")
    assert up.host.calls == [
        ("default", "wasmcloud:messaging", "Messaging.Publish", pack({"subject": "r", "body": b""}))
    ]


GUID = "0d9f2b7a-3c1e-4f7e-9a51-6b2f0c8d4e11"


def logger_script(call: HostCall) -> Answer:
    answers = {"Logging.WriteLog": b"", "NumberGen.GenerateGuid": pack(GUID), "NumberGen.RandomInRange": pack(73)}
    return True, answers[call[2]]


def test_logger_logs_and_asks_numbergen(guest: Callable[..., Guest]) -> None:
    logger = guest("logger", logger_script)
    status, _, body = logger.call(HANDLE_REQUEST, http_request("/hello")).http()
    assert (status, body) == (200, {"guid": GUID, "random": 73})
    assert logger.host.calls == [
        (
            "default",
            "wasmcloud:builtin:logging",
            "Logging.WriteLog",
            pack({"level": "info", "text": "logger handled /hello"}),
        ),
        ("default", "wasmcloud:builtin:numbergen", "NumberGen.GenerateGuid", b""),
        ("default", "wasmcloud:builtin:numbergen", "NumberGen.RandomInRange", pack({"min": 1, "max": 100})),
    ]


def test_logger_stops_at_the_first_failed_host_call(guest: Callable[..., Guest]) -> None:
    def script(call: HostCall) -> Answer:
        return (False, b"missing capability claim") if call[2] == "NumberGen.GenerateGuid" else logger_script(call)

    logger = guest("logger", script)
    status, _, body = logger.call(HANDLE_REQUEST, http_request("/x")).http()
    assert (status, body) == (500, {"error": "missing capability claim"})
    assert [c[2] for c in logger.host.calls] == ["Logging.WriteLog", "NumberGen.GenerateGuid"]


def test_memory_stays_bounded_over_many_calls(guest: Callable[..., Guest]) -> None:
    """The incremental GC frees per-call garbage (the stub runtime grows from 16 to 256 pages here)."""
    echo = guest("echo")
    req = http_request("/loop", body=b"y" * 16_384)
    for _ in range(20):
        assert echo.call(HANDLE_REQUEST, req).rc == 1
    warm = echo.memory_pages()
    for _ in range(300):
        assert echo.call(HANDLE_REQUEST, req).rc == 1
    assert echo.memory_pages() <= warm + 1
