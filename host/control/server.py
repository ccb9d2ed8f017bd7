"""The control-interface server (docs/protocol.md §5): subscribes a host to its control subjects, answers every request.

A routing table maps each :class:`CtlOp` to a small handler (lattice-wide ones in
:mod:`host.control.lattice_handlers`, host-targeted ones in :mod:`host.control.host_handlers`). The subscription
callback only parses the subject and hands the message to a bounded set of tasks, so a slow command never holds up
the next message; beyond the bound a request is refused at once ("busy"). Every request that carries a reply subject
gets a reply: garbage JSON, wrong field types, unknown operations, refusals and host failures all become
``{"accepted": false, "error": "<message>"}`` — never a traceback. A host failure is logged with its traceback and
answered with a generic message that names only the operation (peers never see the host's internals). Auction losers
stay silent by design.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from host.control.host_handlers import HostHandlers
from host.control.lattice_handlers import LatticeHandlers
from host.control.routing import FollowUp, Handler, Outcome, Request
from host.control.target import CommandRejected, ControlTarget
from lattice import subjects
from lattice.control.errors import PayloadError
from lattice.control.requests import Ack
from lattice.natsconn import flush_all
from lattice.subjects import DEFAULT_CTL_PREFIX, CtlOp, SubjectError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServerLimits:
    """``max_in_flight``: requests handled at once; ``stop_grace_s``: how long stop() lets them finish."""

    max_in_flight: int = 64
    stop_grace_s: float = 5.0

    def __post_init__(self) -> None:
        if self.max_in_flight < 1 or self.stop_grace_s < 0:
            raise ValueError("max_in_flight must be >= 1 and stop_grace_s >= 0")


class ControlServer:
    """Answers one host's control interface on ``{prefix}.{lattice}.*``; use as an async context manager."""

    def __init__(
        self,
        nc: Any,
        lattice: str,
        target: ControlTarget,
        prefix: str = DEFAULT_CTL_PREFIX,
        *,
        limits: ServerLimits | None = None,
    ) -> None:
        self._nc = nc
        self.lattice = lattice
        self.target = target
        self.prefix = prefix
        self.limits = limits or ServerLimits()
        self.routes: dict[CtlOp, Handler] = {**LatticeHandlers(target).routes(), **HostHandlers(target).routes()}
        self._subs: list[Any] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._followups: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Subscribe: broadcast subjects, the queued lattice-wide queries, and this host's own subjects."""
        if self._subs:
            return
        broadcast, queued = subjects.ctl_lattice_wildcards(self.lattice, self.prefix)
        own = subjects.ctl_host_wildcards(self.lattice, self.target.host_id, self.prefix)
        queue = subjects.ctl_queue(self.lattice, self.prefix)
        for subject in [*broadcast, *own]:
            self._subs.append(await self._nc.subscribe(subject, cb=self._on_message))
        for subject in queued:
            self._subs.append(await self._nc.subscribe(subject, queue=queue, cb=self._on_message))
        await flush_all(self._nc)

    async def stop(self) -> None:
        """Stop taking requests, let those in flight finish (up to ``stop_grace_s``), cancel the rest."""
        subs, self._subs = self._subs, []
        for sub in subs:
            if not self._nc.is_closed:
                await sub.unsubscribe()
        pending = {t for t in self._tasks if t is not asyncio.current_task()}
        if pending:
            _, late = await asyncio.wait(pending, timeout=self.limits.stop_grace_s)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    # --- dispatch -------------------------------------------------------------------------------------------------

    async def _on_message(self, msg: Any) -> None:
        """The subscription callback: never waits on a handler."""
        if len(self._tasks) >= self.limits.max_in_flight:
            busy = f"host {self.target.host_id} is busy ({self.in_flight} control requests in flight): retry"
            await self._send(msg.reply, Ack.failure(busy).encode())
            return
        task = asyncio.create_task(self._handle(msg.subject, msg.reply, bytes(msg.data)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, subject: str, reply_to: str, data: bytes) -> None:
        outcome = await self.dispatch(subject, data)
        if outcome.reply is not None:
            await self._send(reply_to, outcome.reply)
        if outcome.then is not None:
            self._follow_up(outcome.then)

    async def dispatch(self, subject: str, data: bytes) -> Outcome:
        """Route one message to its handler; every failure becomes a failure ack."""
        try:
            parsed = subjects.parse_ctl(subject, self.lattice, self.prefix)
        except SubjectError as exc:
            return Outcome.refused(f"unknown control operation: {exc}")
        try:
            return await self.routes[parsed.op](Request(parsed.op, parsed.host_id, data))
        except (PayloadError, CommandRejected) as exc:
            return Outcome.refused(str(exc))
        except Exception:  # logged with its traceback here; the caller only learns that the host failed
            log.exception("control request on %s failed", subject)
            return Outcome.refused(f"internal error while handling {parsed.op.value}")

    async def _send(self, reply_to: str, body: bytes) -> None:
        if not reply_to:
            return
        try:
            await self._nc.publish(reply_to, body)
        except Exception as exc:  # a closed or draining connection: nobody can be told
            log.warning("could not send a control reply: %s", exc)

    def _follow_up(self, then: FollowUp) -> None:
        """Run ``then`` after the reply is flushed, outside the in-flight set (it may stop this very server)."""

        async def run() -> None:
            try:
                await flush_all(self._nc)
                await then()
            except Exception:
                log.exception("follow-up of a control request failed")

        task = asyncio.create_task(run())
        self._followups.add(task)
        task.add_done_callback(self._followups.discard)
