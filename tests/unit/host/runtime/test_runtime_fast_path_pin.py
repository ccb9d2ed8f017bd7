"""The fast wasm call path is really taken on the pinned wasmtime, and its private-API use stays in one module.

``host.runtime.fastcall`` falls back to the public wasmtime API (with a warning) when the private ``_ffi`` layout it
was written against is missing. That keeps a host working after a wasmtime upgrade, but silently ~8× slower per call.
These tests make the upgrade loud instead: they fail unless the installed wasmtime is the pinned one *and* a default
runtime's calls and imports go through the fast path. The procedure for moving the pin is in docs/architecture.md
("Upgrading wasmtime").
"""

from __future__ import annotations

import importlib.metadata
import io
import re
import tokenize
from collections import Counter
from pathlib import Path

import pytest

from host.runtime import ActorPool, Runtime, fastcall
from tests.unit.host.runtime import runtime_guests as guests
from tests.unit.host.runtime.runtime_handlers import Recorder

REPO = Path(__file__).resolve().parents[4]
UPGRADE = "follow 'Upgrading wasmtime' in docs/architecture.md"
FAST_MODULE = REPO / "host" / "runtime" / "fastcall.py"
PRIVATE_USES = {
    "wasmtime._ffi": re.compile(r"\b_ffi\b"),
    "ctypes": re.compile(r"\bctypes\b"),
    "private constructors (_from_ptr)": re.compile(r"\._from_ptr\b"),
    "raw handles (.ptr(), ._context(), ._func, ._memory)": re.compile(
        r"\.(ptr|_context)\(\)|(?<!\bself)\._(func|memory)\b"
    ),
}


def pinned_in(path: Path) -> set[str]:
    return set(re.findall(r"wasmtime==([0-9][0-9.]*)", path.read_text(encoding="utf-8")))


def test_the_pin_is_the_same_everywhere() -> None:
    assert pinned_in(REPO / "pyproject.toml") == {fastcall.PINNED_WASMTIME}, UPGRADE
    assert pinned_in(REPO / "requirements.lock") == {fastcall.PINNED_WASMTIME}, UPGRADE
    assert importlib.metadata.version("wasmtime") == fastcall.PINNED_WASMTIME, UPGRADE


def test_a_default_runtime_takes_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = fastcall.fast_path_problem()
    assert problem is None, f"the fast wasm call path is unavailable ({problem}): {UPGRADE}"
    seen: Counter[str] = Counter()
    guest_call, write = fastcall.FastGuestCall.__call__, fastcall.FastMemory.write

    def counted_guest_call(self: fastcall.FastGuestCall, op_len: int, msg_len: int, ticks: int) -> int:
        seen["__guest_call"] += 1
        return guest_call(self, op_len, msg_len, ticks)

    def counted_write(self: fastcall.FastMemory, caller: object, ptr: int, data: bytes) -> None:
        seen["import wrote guest memory"] += 1
        write(self, caller, ptr, data)

    monkeypatch.setattr(fastcall.FastGuestCall, "__call__", counted_guest_call)
    monkeypatch.setattr(fastcall.FastMemory, "write", counted_write)
    with Runtime() as runtime:  # the defaults a host runs with
        pool = ActorPool(runtime, runtime.compile(guests.echo(), "h"), host_calls=Recorder())
        try:
            assert pool.invoke_sync("Echo.Say", b"fast") == b"fast"
        finally:
            pool.close_sync()
    # __guest_call went through wasmtime_func_call_unchecked, and __guest_request (operation + payload) through the
    # unchecked import callbacks and the cached memory base: the call never touched the public API
    assert seen == {"__guest_call": 1, "import wrote guest memory": 2}, f"{seen}: {UPGRADE}"


def test_private_wasmtime_api_is_used_in_fastcall_only() -> None:
    users = {}
    for path in sorted((REPO / "host").rglob("*.py")) + sorted((REPO / "lattice").rglob("*.py")):
        if path == FAST_MODULE:
            continue
        code = code_only(path.read_text(encoding="utf-8"))
        found = [what for what, pattern in PRIVATE_USES.items() if pattern.search(code)]
        if found:
            users[str(path.relative_to(REPO))] = found
    assert users == {}
    assert all(pattern.search(FAST_MODULE.read_text()) for pattern in PRIVATE_USES.values())


def code_only(source: str) -> str:
    """``source`` with every string and comment blanked, so docs may name what the code may not use."""
    lines = [list(line) for line in source.splitlines(keepends=True)]
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in (tokenize.STRING, tokenize.COMMENT):
            continue
        (row, col), (end_row, end_col) = token.start, token.end
        for index in range(row - 1, end_row):
            first = col if index == row - 1 else 0
            last = end_col if index == end_row - 1 else len(lines[index])
            lines[index][first:last] = " " * (last - first)
    return "".join("".join(line) for line in lines)


def test_the_scan_sees_code_but_not_docs() -> None:
    source = 'import ctypes  # ctypes\n"""wasmtime._ffi is private"""\nerror = WasmtimeError._from_ptr(ptr)\n'
    code = code_only(source)
    assert [what for what, pattern in PRIVATE_USES.items() if pattern.search(code)] == [
        "ctypes",
        "private constructors (_from_ptr)",
    ]
