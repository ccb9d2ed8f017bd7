"""BoundedTasks: at most max_running at once, at most max_running + max_waiting alive, never blocks the caller."""

from __future__ import annotations

import asyncio

import pytest

from lattice.provider.tasks import BoundedTasks


async def test_concurrency_and_capacity_are_bounded() -> None:
    tasks = BoundedTasks("t", max_running=3, max_waiting=2)
    running = peak = 0
    release = asyncio.Event()

    async def work() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await release.wait()
        running -= 1

    accepted = [tasks.try_spawn(work()) for _ in range(7)]
    assert accepted == [True] * 5 + [False] * 2
    await asyncio.sleep(0.01)
    assert running == 3
    release.set()
    assert await tasks.wait(1.0)
    assert peak == 3
    assert len(tasks) == 0


async def test_a_failing_task_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    tasks = BoundedTasks("failing", max_running=1, max_waiting=0)

    async def boom() -> None:
        raise RuntimeError("kaput")

    assert tasks.try_spawn(boom())
    assert await tasks.wait(1.0)
    assert "task of failing failed" in caplog.text


async def test_cancel_stops_running_work() -> None:
    tasks = BoundedTasks("t", max_running=1, max_waiting=0)
    tasks.try_spawn(asyncio.sleep(10))
    assert not await tasks.wait(0.01)
    await tasks.cancel()
    assert len(tasks) == 0


def test_limits_must_make_sense() -> None:
    with pytest.raises(ValueError, match="max_running"):
        BoundedTasks("t", max_running=0)
