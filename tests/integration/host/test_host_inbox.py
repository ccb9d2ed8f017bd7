"""ActorInbox on a real NATS: bounded workers and queue; overflow is answered at once; stop finishes queued work."""

from __future__ import annotations

import asyncio
from typing import Any

from host.invocations import ActorInbox, InboxLimits
from host.tasks import TaskScope
from lattice.wire import InvocationResponse
from tests.support.waiting import wait_until


async def test_overflow_is_answered_busy_and_queued_work_finishes(nc: Any, lattice_prefix: str) -> None:
    working = asyncio.Event()
    release = asyncio.Event()
    served: list[bytes] = []

    async def slow(data: bytes) -> bytes:
        working.set()
        await release.wait()
        served.append(data)
        return InvocationResponse("id", data).encode()

    subject = f"inbox.{lattice_prefix}"
    inbox = ActorInbox(nc, subject, slow, InboxLimits(workers=1, queue_depth=1, drain_timeout_s=5), "slowpoke")
    async with TaskScope("inbox test") as tasks:
        await inbox.start(tasks.spawn)
        first = asyncio.create_task(nc.request(subject, b"1", timeout=5))
        await asyncio.wait_for(working.wait(), 5)  # taken by the one worker
        second = asyncio.create_task(nc.request(subject, b"2", timeout=5))
        await wait_until(lambda: inbox.queued == 1, what="the second request to wait in the queue of one")
        busy = InvocationResponse.decode((await nc.request(subject, b"3", timeout=5)).data)
        assert busy.error == "actor slowpoke is busy: try again"
        release.set()
        answers = [InvocationResponse.decode((await call).data).msg for call in (first, second)]
        assert answers == [b"1", b"2"]
        await inbox.close()
        assert served == [b"1", b"2"]
        assert len(tasks) == 0  # the workers are gone


async def test_a_failing_handler_still_gets_a_reply(nc: Any, lattice_prefix: str) -> None:
    async def broken(data: bytes) -> bytes:
        raise RuntimeError("boom")

    subject = f"inbox.{lattice_prefix}"
    inbox = ActorInbox(nc, subject, broken, InboxLimits(workers=2), "broken")
    async with TaskScope("inbox test") as tasks:
        await inbox.start(tasks.spawn)
        try:
            reply = InvocationResponse.decode((await nc.request(subject, b"x", timeout=5)).data)
        finally:
            await inbox.close()
    assert reply.error == "internal host error while handling the invocation"
