"""``lattice up``: a whole local lattice in one process — NATS if none answers, a host, optionally an app.

Layout under the host's state directory (``WASMLATTICE_STATE_DIR``, default ``~/.wasmlattice/host``)::

    nats/            JetStream data and nats-server.log of the embedded NATS server (only when we start one)
    up/up.pid        pid of a detached ``lattice up`` (``lattice down`` reads it)
    up/up.log        its output
    up/ready.json    what runs where, written once everything is up
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from host.config import HostConfig
from host.errors import HostError
from host.host import Host
from lattice.natsconn import parse_nats_url
from lattice.natsserver import NatsServer, NatsServerConfig, nats_reachable

log = logging.getLogger(__name__)


class UpError(HostError):
    """The local lattice could not be brought up."""


def up_dir(state_dir: Path) -> Path:
    return state_dir.expanduser() / "up"


class LocalLattice:
    """NATS (reused when one answers at the URL), one host, and an optional application, as one context."""

    def __init__(
        self,
        config: HostConfig,
        nats_url: str,
        *,
        before_host: Callable[[], Awaitable[None]] | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config.with_nats_url(nats_url)
        self.nats_url = nats_url
        self._nats: NatsServer | None = None
        self._host: Host | None = None
        self._before_host = before_host
        self._progress = progress or (lambda _line: None)

    @property
    def host(self) -> Host:
        if self._host is None:
            raise UpError("the local lattice is not running")
        return self._host

    async def __aenter__(self) -> Self:
        try:
            await self._ensure_nats()
            if self._before_host is not None:
                await self._before_host()  # e.g. store the app first, so the host's reconciler acts on it
            host = Host(self.config)
            await host.__aenter__()
            self._host = host
            info = host.commands.host_info()
            self._progress(f"host {info.id} ({info.friendly_name}) joined lattice {self.config.lattice}")
        except BaseException:
            await self._stop_nats()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self._host is not None:
                await self._host.__aexit__(exc_type, exc, tb)
        finally:
            await self._stop_nats()

    async def _ensure_nats(self) -> None:
        if await nats_reachable(self.nats_url):
            log.info("using the NATS server already answering at %s", self.nats_url)
            self._progress(f"NATS {self.nats_url} already running: using it")
            return
        host, port = parse_nats_url(self.nats_url)
        server = NatsServer(NatsServerConfig(store_dir=self.config.state_dir / "nats", host=host, port=port))
        await server.start_async()
        self._nats = server
        log.info("started nats-server (JetStream) at %s, data in %s", server.url, self.config.state_dir / "nats")
        self._progress(f"NATS {server.url} started (JetStream data in {self.config.state_dir / 'nats'})")

    async def _stop_nats(self) -> None:
        if self._nats is not None:
            server, self._nats = self._nats, None
            await server.stop_async()

    @property
    def nats_started(self) -> bool:
        return self._nats is not None


def write_ready(state_dir: Path, summary: Mapping[str, Any]) -> Path:
    path = up_dir(state_dir) / "ready.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(summary)))
    return path


def clear_ready(state_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(up_dir(state_dir) / "ready.json")
