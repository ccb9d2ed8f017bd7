"""Fixtures for the runtime tests: a Runtime per call path, and a recording host-call handler (runtime_handlers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from host.runtime import Runtime, RuntimeConfig
from tests.unit.host.runtime.runtime_handlers import Recorder


@pytest.fixture(params=["fast", "public"])
def runtime(request: pytest.FixtureRequest) -> Iterator[Runtime]:
    """A Runtime on each wasmtime call path (every test using it runs twice)."""
    fast = request.param == "fast"
    with Runtime(RuntimeConfig(fast_path=fast, epoch_tick_ms=5)) as rt:
        assert rt.fast_path is fast
        yield rt


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()
