"""What a command's success or failure looks like in the event stream (docs/protocol.md §6), and waiting for it.

A command is acked before the work is done; these expectations say which events finish it::

    async with ctl.watch_events() as events:
        await ctl.start_actor(host_id, ref, count=2)
        await expect(events, actor_start(ref, host_id, 2), timeout_s=30)

OTP 0.63 and the Rust host send both per-instance events (``actor_started``) and batch events (``actors_started``
with a ``count``); each form is tallied on its own so an instance is never counted twice. A failure event for the
same work raises :class:`CommandFailedError` with the host's reason.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from lattice.control.client import ControlClient
from lattice.control.errors import CommandFailedError, ControlTimeout
from lattice.control.events import EventWatcher, LatticeEvent
from lattice.provider.status import LINK_APPLIED_EVENT, LINK_REFUSED_EVENT, REFUSED
from lattice.wire import LinkDefinition

Progress = Callable[[LatticeEvent], None]


@dataclass(frozen=True)
class Expectation:
    """``units(event)``: how much of the work an event reports (by event name); ``failure(event)``: a reason or None."""

    what: str
    host_id: str
    units: Callable[[LatticeEvent], int]
    failure: Callable[[LatticeEvent], str | None] = field(default=lambda _e: None)
    count: int = 1

    def concerns(self, event: LatticeEvent) -> bool:
        return not self.host_id or event.source == self.host_id or event.data.get("host_id") == self.host_id


def _is(ref: str, *values: object) -> bool:
    return bool(ref) and ref in values


def actor_start(ref: str, host_id: str = "", count: int = 1, key: str = "") -> Expectation:
    """``count`` instances of ``ref`` (an image ref or a public key; or of actor ``key`` when given) started."""

    def mine(e: LatticeEvent, *fields: str) -> bool:
        return any(_is(ref, e.data.get(f)) for f in fields) or _is(key, e.data.get("public_key"))

    def units(e: LatticeEvent) -> int:
        if not mine(e, "image_ref", "public_key"):
            return 0
        return 1 if e.name == "actor_started" else _int(e.data.get("count")) if e.name == "actors_started" else 0

    def failure(e: LatticeEvent) -> str | None:
        if e.name in ("actor_start_failed", "actors_start_failed") and mine(e, "actor_ref", "image_ref", "public_key"):
            return str(e.data.get("error") or "the actor did not start")
        return None

    return Expectation(f"the start of {count} instance(s) of {ref}", host_id, units, failure, count)


def actor_scale(ref: str, host_id: str, key: str = "") -> Expectation:
    """A scale reported: instances started or stopped (or the start failed) for the actor."""
    started = actor_start(ref, host_id, 1, key)

    def units(e: LatticeEvent) -> int:
        stopped = e.name in ("actor_stopped", "actors_stopped") and e.data.get("public_key") in (ref, key)
        return started.units(e) or int(stopped)

    return Expectation(f"the scale of {ref}", host_id, units, started.failure)


def actor_stop(actor_id: str, host_id: str = "") -> Expectation:
    """The first stop event of ``actor_id`` (a stop of all instances reports them together or one by one)."""

    def units(e: LatticeEvent) -> int:
        return int(e.name in ("actor_stopped", "actors_stopped") and e.data.get("public_key") == actor_id)

    return Expectation(f"the stop of actor {actor_id}", host_id, units)


def actor_update(actor_id: str, host_id: str = "") -> Expectation:
    def units(e: LatticeEvent) -> int:
        return int(e.name == "actor_updated" and e.data.get("public_key") == actor_id)

    def failure(e: LatticeEvent) -> str | None:
        if e.name == "actor_update_failed" and e.data.get("public_key") == actor_id:
            return str(e.data.get("reason") or "the update failed")
        return None

    return Expectation(f"the update of actor {actor_id}", host_id, units, failure)


def provider_start(ref: str, link_name: str, host_id: str = "", key: str = "") -> Expectation:
    def units(e: LatticeEvent) -> int:
        same = e.data.get("link_name") == link_name and (
            _is(ref, e.data.get("image_ref"), e.data.get("public_key")) or _is(key, e.data.get("public_key"))
        )
        return int(e.name == "provider_started" and same)

    def failure(e: LatticeEvent) -> str | None:
        same = e.data.get("link_name") == link_name and _is(ref, e.data.get("provider_ref"))
        if e.name == "provider_start_failed" and same:
            return str(e.data.get("error") or "the provider did not start")
        return None

    return Expectation(f"the start of provider {ref} ({link_name})", host_id, units, failure)


def provider_stop(provider_id: str, link_name: str, host_id: str = "") -> Expectation:
    def units(e: LatticeEvent) -> int:
        same = e.data.get("public_key") == provider_id and e.data.get("link_name") == link_name
        return int(e.name == "provider_stopped" and same)

    return Expectation(f"the stop of provider {provider_id} ({link_name})", host_id, units)


def link_applied(link: LinkDefinition) -> Expectation:
    """The provider's report (our extension) that it took the link; a refusal is the failure, with its reason."""

    def same(e: LatticeEvent) -> bool:
        d = e.data
        return (d.get("actor_id"), d.get("provider_id"), d.get("link_name")) == (
            link.actor_id,
            link.provider_id,
            link.link_name,
        )

    def failure(e: LatticeEvent) -> str | None:
        if e.name == LINK_REFUSED_EVENT and same(e):
            return f"the provider refused the link: {e.data.get('error') or 'no reason given'}"
        return None

    return Expectation(
        f"the provider's acknowledgement of the link of {link.actor_id}",
        "",
        lambda e: int(e.name == LINK_APPLIED_EVENT and same(e)),
        failure,
    )


async def link_ack(ctl: ControlClient, link: LinkDefinition, timeout_s: float) -> tuple[str, list[LatticeEvent]]:
    """Put a link and, when its provider runs and reports links, wait until it took (or refused) it.

    Returns ``("linked", [event])`` once the provider took it (or already had it), ``("stored", [])`` when no
    instance of the provider answers the providers ping (a provider started later receives it). A refusal raises
    :class:`CommandFailedError` with the provider's reason.
    """
    unchanged = any(x.identity == link.identity and x == link for x in await ctl.get_links())
    async with ctl.watch_events() as events:
        await ctl.put_link(link)
        reports = [
            r for r in await ctl.ping_providers() if r.provider_id == link.provider_id and r.link_name == link.link_name
        ]
        if not reports:
            return "stored", []
        if unchanged:  # the provider ignores a repeated put: its report is the answer
            for report in reports:
                found = report.link(link.actor_id)
                if found is not None and found.state == REFUSED:
                    raise CommandFailedError(f"the provider refused the link: {found.error}", report.host_id)
            return "linked", []
        return "linked", await expect(events, link_applied(link), timeout_s)


def host_stop(host_id: str) -> Expectation:
    return Expectation(f"the stop of host {host_id}", host_id, lambda e: int(e.name == "host_stopped"))


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


async def expect(
    events: EventWatcher, expectation: Expectation, timeout_s: float, progress: Progress | None = None
) -> list[LatticeEvent]:
    """Wait until the events report the whole expectation; the events that did, in order."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    tally: Counter[str] = Counter()
    seen: list[LatticeEvent] = []

    def relevant(e: LatticeEvent) -> bool:
        return expectation.concerns(e) and (expectation.units(e) > 0 or expectation.failure(e) is not None)

    while not tally or max(tally.values()) < expectation.count:
        left = deadline - loop.time()
        if left <= 0:
            raise ControlTimeout(f"{expectation.what} was not reported within {timeout_s:g}s")
        try:
            event = await events.wait_for(relevant, left, expectation.what)
        except ControlTimeout as exc:
            raise ControlTimeout(f"{expectation.what} was not reported within {timeout_s:g}s") from exc
        reason = expectation.failure(event)
        if reason is not None:
            raise CommandFailedError(reason, event.source)
        tally[event.name] += expectation.units(event)
        seen.append(event)
        if progress is not None:
            progress(event)
    return seen


@dataclass
class Outcome:
    """How one expectation ended: ``done``, or ``error`` (a failure event's reason, or a timeout)."""

    expectation: Expectation
    done: bool = False
    error: str | None = None
    timed_out: bool = False
    tally: Counter[str] = field(default_factory=Counter)

    @property
    def settled(self) -> bool:
        return self.done or self.error is not None

    def see(self, event: LatticeEvent) -> bool:
        """Count ``event``; True when it concerned this expectation."""
        exp = self.expectation
        if self.settled or not exp.concerns(event):
            return False
        reason = exp.failure(event)
        if reason is not None:
            self.error = reason
            return True
        units = exp.units(event)
        if not units:
            return False
        self.tally[event.name] += units
        self.done = max(self.tally.values()) >= exp.count
        return True


async def expect_all(
    events: EventWatcher, expectations: Sequence[Expectation], timeout_s: float, progress: Progress | None = None
) -> list[Outcome]:
    """Wait until every expectation is reported done or failed, or ``timeout_s`` passes; never raises on either."""
    outcomes = [Outcome(e) for e in expectations]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not all(o.settled for o in outcomes):
        left = deadline - loop.time()
        if left <= 0:
            break
        try:
            event = await events.next(timeout_s=left)
        except ControlTimeout:
            break
        if any([o.see(event) for o in outcomes]) and progress is not None:
            progress(event)
    for outcome in outcomes:
        if not outcome.settled:
            outcome.timed_out = True
            outcome.error = f"{outcome.expectation.what} was not reported within {timeout_s:g}s"
    return outcomes
