"""One actor's messaging link: its own NATS connection, its subscriptions, and their bounded deliveries."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from lattice.interfaces import SubMessage
from lattice.natsconn import NatsConnectError, NatsOptions, NatsOptionsError, connect, flush_all
from lattice.provider import LinkRefused
from lattice.provider.tasks import BoundedTasks
from wasmlattice_messaging.settings import MAX_CONCURRENT_PER_SUBSCRIPTION, MessagingSettings

DELIVERY_GRACE_S = 1.0
DRAIN_TIMEOUT_S = 2

log = logging.getLogger(__name__)

Deliver = Callable[[SubMessage], Coroutine[Any, Any, None]]


class MessagingLink:
    def __init__(self, actor_id: str, settings: MessagingSettings, deliver: Deliver) -> None:
        self.actor_id = actor_id
        self.settings = settings
        self._deliver = deliver
        self.nc: Any = None
        self._subs: list[Any] = []
        self._tasks: list[BoundedTasks] = []
        self._ca_file: Path | None = None

    async def open(self, default_url: str) -> None:
        """Connect and subscribe; :class:`LinkRefused` with the reason when either fails."""
        settings = self.settings
        urls = list(settings.uris) or [default_url]
        try:
            opts = NatsOptions(
                url=urls[0],
                seed=settings.seed,
                jwt=settings.jwt,
                tls_ca=self._ca_path(),
                name=f"messaging {self.actor_id[:12]}",
            )
            self.nc = await connect(
                opts, servers=urls, ping_interval=settings.ping_interval_s, drain_timeout=DRAIN_TIMEOUT_S
            )
        except (NatsOptionsError, NatsConnectError) as exc:
            self._remove_ca_file()
            raise LinkRefused(str(exc)) from exc
        for sub in settings.subscriptions:
            tasks = BoundedTasks(f"{self.actor_id[:12]} {sub.subject}", MAX_CONCURRENT_PER_SUBSCRIPTION)
            self._tasks.append(tasks)
            self._subs.append(await self.nc.subscribe(sub.subject, queue=sub.queue, cb=self._callback(tasks)))
        await flush_all(self.nc)

    def _ca_path(self) -> Path | None:
        if self.settings.tls_ca_file is not None:
            return self.settings.tls_ca_file
        if self.settings.tls_ca is None:
            return None
        fd, name = tempfile.mkstemp(prefix="wasmlattice-ca-", suffix=".pem")
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(self.settings.tls_ca)
        self._ca_file = Path(name)
        return self._ca_file

    def _remove_ca_file(self) -> None:
        if self._ca_file is not None:
            self._ca_file.unlink(missing_ok=True)
            self._ca_file = None

    def _callback(self, tasks: BoundedTasks) -> Callable[[Any], Awaitable[None]]:
        async def on_msg(msg: Any) -> None:
            message = SubMessage(msg.subject, bytes(msg.data), msg.reply or None)
            if not tasks.try_spawn(self._deliver(message)):
                log.warning("dropping message on %s for %s: too many deliveries waiting", msg.subject, self.actor_id)

        return on_msg

    async def close(self) -> None:
        for sub in self._subs:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
        for tasks in self._tasks:
            await tasks.wait(DELIVERY_GRACE_S)
            await tasks.cancel()
        if self.nc is not None and not self.nc.is_closed:
            with contextlib.suppress(Exception):
                await self.nc.drain()
        self._remove_ca_file()
