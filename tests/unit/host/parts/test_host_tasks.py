"""TaskScope: a part's background tasks in its own TaskGroup; failures are logged, never raised; exit cancels."""

from __future__ import annotations

import asyncio

import pytest

from host.errors import HostError
from host.tasks import TaskScope


async def test_a_failing_task_is_logged_and_its_siblings_keep_running(caplog: pytest.LogCaptureFixture) -> None:
    sibling_done = asyncio.Event()

    async def boom() -> None:
        raise RuntimeError("disk on fire")

    async def sibling() -> None:
        await asyncio.sleep(0)
        sibling_done.set()

    async with TaskScope("part") as tasks:
        failed = tasks.spawn(boom(), "the doomed job")
        tasks.spawn(sibling(), "the sibling")
        await asyncio.wait_for(sibling_done.wait(), 5)
        await failed
    assert failed.exception() is None  # the group never saw it
    assert "part: the doomed job failed" in caplog.text
    assert "disk on fire" in caplog.text


async def test_leaving_the_scope_cancels_what_still_runs() -> None:
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.Event().wait()

    async with TaskScope("part") as tasks:
        task = tasks.spawn(forever(), "a loop")
        await asyncio.wait_for(started.wait(), 5)
        assert len(tasks) == 1
    assert task.cancelled()
    assert len(tasks) == 0
    assert not tasks.open


async def _wait_forever() -> None:
    await asyncio.Event().wait()


async def test_cancel_all_keeps_the_scope_open() -> None:
    async with TaskScope("part") as tasks:
        first = tasks.spawn(_wait_forever(), "a wait")
        await asyncio.sleep(0)
        await tasks.cancel_all()
        assert first.cancelled()
        again = tasks.spawn(asyncio.sleep(0), "a nap")
        await again
        assert again.done()
        assert not again.cancelled()


async def test_spawning_outside_the_scope_is_refused_and_closes_the_coroutine() -> None:
    tasks = TaskScope("providers")
    coro = asyncio.sleep(0)
    with pytest.raises(HostError, match=r"^providers is not running: cannot start a nap$"):
        tasks.spawn(coro, "a nap")
    assert coro.cr_frame is None  # closed: no "never awaited" warning
