"""Lifecycle events (docs/protocol.md §6) as the client sees them, and waiting for them.

Subscribe *before* sending the command that causes an event, then wait with a timeout::

    async with EventWatcher(nc, lattice) as events:
        await client.start_actor(host_id, ref)
        started = await events.wait_for(matching("actor_started", "actors_started", image_ref=ref), timeout_s=30)

Only ``wasmbus.evt.{lattice}`` is watched (the Rust host's per-name copies on ``wasmbus.evt.{lattice}.{name}``
would be duplicates); with ``rpc=True`` also the invocation events on ``wasmbus.rpcevt.{lattice}``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import msgspec
from nats.errors import ConnectionClosedError
from nats.errors import TimeoutError as NatsTimeoutError

from lattice import subjects
from lattice.codec import NonEmpty
from lattice.control.base import JsonObject, JsonPayload, dumps
from lattice.control.errors import ControlTimeout, ControlUnreachable, PayloadError
from lattice.natsconn import flush_all

log = logging.getLogger(__name__)

CLOUDEVENTS_VERSION = "1.0"
MIN_POLL_S = 0.001  # Python 3.11's wait_for(…, 0) times out even when a message is queued
EventPredicate = Callable[["LatticeEvent"], bool]


@dataclass(frozen=True)
class LatticeEvent:
    """One CloudEvent; ``name`` is the type without ``com.wasmcloud.lattice.`` (e.g. ``actor_started``)."""

    name: str
    source: str
    id: str
    time: str
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def type(self) -> str:
        return subjects.event_type(self.name)

    def to_json(self) -> JsonObject:
        return {
            "specversion": CLOUDEVENTS_VERSION,
            "type": self.type,
            "source": self.source,
            "id": self.id,
            "time": self.time,
            "datacontenttype": "application/json",
            "data": dict(self.data),
        }

    def encode(self) -> bytes:
        return dumps(self.to_json())

    @classmethod
    def from_json(cls, body: Any) -> LatticeEvent:
        return cls._of(_CloudEvent.from_wire(body))

    @classmethod
    def decode(cls, data: bytes) -> LatticeEvent:
        return cls._of(_CloudEvent.decode(data))

    @classmethod
    def _of(cls, event: _CloudEvent) -> LatticeEvent:
        if not event.type.startswith(subjects.EVENT_TYPE_PREFIX):
            raise PayloadError(f"event type {event.type!r} does not start with {subjects.EVENT_TYPE_PREFIX!r}")
        name = event.type.removeprefix(subjects.EVENT_TYPE_PREFIX)
        return cls(name=name, source=event.source, id=event.id, time=event.time, data=event.data)


class _CloudEvent(JsonPayload, frozen=True):
    """What is read of a CloudEvent (``specversion`` and ``datacontenttype`` are not checked)."""

    WHAT = "event"
    type: NonEmpty
    source: str = ""
    id: str = ""
    time: str = ""
    data: dict[str, Any] = msgspec.field(default_factory=dict)


def matching(*names: str, **data: Any) -> EventPredicate:
    """A predicate: the event's name is one of ``names`` (any if none) and its data has every ``key=value``."""

    def check(event: LatticeEvent) -> bool:
        if names and event.name not in names:
            return False
        return all(event.data.get(key) == value for key, value in data.items())

    return check


class _Merged:
    """Two subscriptions read as one (``next_msg`` like nats-py's), for lifecycle and invocation events together."""

    def __init__(self, nc: Any) -> None:
        self._nc = nc
        self._subs: list[Any] = []
        self._queue: asyncio.Queue[Any] = asyncio.Queue()

    async def add(self, subject: str) -> None:
        async def put(msg: Any) -> None:
            self._queue.put_nowait(msg)

        self._subs.append(await self._nc.subscribe(subject, cb=put))

    async def next_msg(self, timeout: float | None) -> Any:  # noqa: ASYNC109 (nats-py's signature)
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            if self._nc.is_closed:
                raise ConnectionClosedError from None
            raise NatsTimeoutError from None

    async def unsubscribe(self) -> None:
        for sub in self._subs:
            await sub.unsubscribe()


class EventWatcher:
    """A subscription to a lattice's lifecycle events (and its invocation events, with ``rpc``); open it before
    sending the command you wait on."""

    def __init__(self, nc: Any, lattice: str, *, rpc: bool = False) -> None:
        self._nc = nc
        self.lattice = lattice
        self.rpc = rpc
        self._sub: Any = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        if self._sub is None:
            if self.rpc:
                self._sub = _Merged(self._nc)
                for subject in (subjects.events(self.lattice), subjects.rpc_events(self.lattice)):
                    await self._sub.add(subject)
            else:
                self._sub = await self._nc.subscribe(subjects.events(self.lattice))
            await flush_all(self._nc)  # the server has the subscription before any command goes out

    async def stop(self) -> None:
        sub, self._sub = self._sub, None
        if sub is not None and not self._nc.is_closed:
            await sub.unsubscribe()

    async def next(self, timeout_s: float | None = None) -> LatticeEvent:
        """The next well-formed event (malformed ones are logged and skipped); :class:`ControlTimeout` if none."""
        if self._sub is None:
            raise RuntimeError("EventWatcher used before start() (use `async with`)")
        loop = asyncio.get_running_loop()
        deadline = None if timeout_s is None else loop.time() + timeout_s
        while True:
            left = None if deadline is None else max(deadline - loop.time(), MIN_POLL_S)
            try:
                msg = await self._sub.next_msg(timeout=left)
            except NatsTimeoutError as exc:
                raise ControlTimeout(f"no event on lattice {self.lattice!r} within {timeout_s:.1f}s") from exc
            except ConnectionClosedError as exc:
                raise ControlUnreachable("the NATS connection closed while waiting for events") from exc
            try:
                return LatticeEvent.decode(msg.data)
            except PayloadError as exc:
                log.debug("skipping a malformed event on %s: %s", msg.subject, exc)

    async def wait_for(self, predicate: EventPredicate, timeout_s: float, what: str = "the event") -> LatticeEvent:
        """The first event ``predicate`` accepts, within ``timeout_s`` seconds in all."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            left = deadline - loop.time()
            try:
                event = await self.next(timeout_s=max(left, MIN_POLL_S))
            except ControlTimeout as exc:
                raise ControlTimeout(
                    f"{what} did not arrive on lattice {self.lattice!r} within {timeout_s:g}s"
                ) from exc
            if predicate(event):
                return event

    async def __aiter__(self) -> AsyncIterator[LatticeEvent]:
        while True:
            yield await self.next()
