"""Fixtures for the runtime tests: a Runtime per call path, and a recording host-call handler."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from host.runtime import HostCallFailed, Runtime, RuntimeConfig


@pytest.fixture(params=["fast", "public"])
def runtime(request: pytest.FixtureRequest) -> Iterator[Runtime]:
    """A Runtime on each wasmtime call path (every test using it runs twice)."""
    fast = request.param == "fast"
    with Runtime(RuntimeConfig(fast_path=fast, epoch_tick_ms=5)) as rt:
        assert rt.fast_path is fast
        yield rt


@dataclass
class Recorder:
    """A host-call handler answering ``b"pong:" + payload``; an empty binding fails with HostCallFailed."""

    calls: list[tuple[str, str, str, bytes]] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def __call__(self, binding: str, namespace: str, operation: str, payload: bytes) -> bytes:
        self.calls.append((binding, namespace, operation, payload))
        self.threads.append(threading.current_thread())
        if not binding:
            raise HostCallFailed("no link for an empty binding")
        return b"pong:" + payload

    def log(self, line: str) -> None:
        self.lines.append(line)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()
