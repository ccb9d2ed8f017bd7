"""``lattice up``: a whole local lattice in one process — NATS if none answers, a host, optionally an app.

Layout under the host's state directory (``WASMLATTICE_STATE_DIR``, default ``~/.wasmlattice/host``)::

    nats/            JetStream data and nats-server.log of the embedded NATS server (only when we start one)
    up/up.pid        pid of a detached ``lattice up`` (``lattice down`` reads it)
    up/up.log        its output
    up/ready.json    what runs where, written once everything is up
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from host.config import HostConfig
from host.errors import HostError
from host.host import Host
from lattice.app import manifest, plan, reconcile
from lattice.app.manifest import Application
from lattice.app.store import AppStore
from lattice.control import ControlClient
from lattice.natsconn import NatsOptions, parse_nats_url
from lattice.natsserver import NatsServer, NatsServerConfig, nats_reachable

log = logging.getLogger(__name__)

DEFAULT_APP_WAIT_S = 60.0
HTTP_CONTRACT = "wasmcloud:httpserver"


class UpError(HostError):
    """The local lattice could not be brought up."""


def up_dir(state_dir: Path) -> Path:
    return state_dir.expanduser() / "up"


@dataclass(frozen=True)
class UpSummary:
    """What runs where, printed by ``lattice up`` and written to ``up/ready.json``."""

    nats_url: str
    nats_started: bool
    lattice: str
    host_id: str
    friendly_name: str
    app: str | None = None
    app_ready: bool = False
    urls: tuple[str, ...] = ()
    components: tuple[dict[str, Any], ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["urls"] = list(self.urls)
        out["components"] = list(self.components)
        return out


def http_urls(app: Application) -> list[str]:
    """The URLs an app's HTTP links listen on (``port`` binds 127.0.0.1; ``address`` is IP:PORT)."""
    urls = []
    for comp in app.actors:
        for link in comp.links:
            if app.component(link.target).contract != HTTP_CONTRACT:
                continue
            values = {k.lower(): v for k, v in link.values.items()}
            address = values.get("address") or f"127.0.0.1:{values.get('port', '8000')}"
            host, _, port = address.rpartition(":")
            host = "127.0.0.1" if host in ("", "0.0.0.0", "[::]") else host
            urls.append(f"http://{host}:{port}/")
    return urls


class LocalLattice:
    """NATS (reused when one answers at the URL), one host, and an optional application, as one context."""

    def __init__(self, config: HostConfig, nats_url: str) -> None:
        self.config = config.with_nats_url(nats_url)
        self.nats_url = nats_url
        self._nats: NatsServer | None = None
        self._host: Host | None = None

    @property
    def host(self) -> Host:
        if self._host is None:
            raise UpError("the local lattice is not running")
        return self._host

    async def __aenter__(self) -> Self:
        try:
            await self._ensure_nats()
            self._host = Host(self.config)
            await self._host.__aenter__()
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
            return
        host, port = parse_nats_url(self.nats_url)
        server = NatsServer(NatsServerConfig(store_dir=self.config.state_dir / "nats", host=host, port=port))
        await server.start_async()
        self._nats = server
        log.info("started nats-server (JetStream) at %s, data in %s", server.url, self.config.state_dir / "nats")

    async def _stop_nats(self) -> None:
        if self._nats is not None:
            server, self._nats = self._nats, None
            await server.stop_async()

    @property
    def nats_started(self) -> bool:
        return self._nats is not None

    def _client(self) -> ControlClient:
        return ControlClient(NatsOptions(url=self.nats_url), self.config.lattice, prefix=self.config.ctl_topic_prefix)

    async def deploy(self, path: Path, wait_s: float = DEFAULT_APP_WAIT_S) -> reconcile.AppStatus:
        """Store the manifest for the hosts' reconcilers and wait until it runs (or ``wait_s`` passes)."""
        document, base_dir = manifest.read_document(path)
        app = manifest.parse(document, base_dir)
        async with self._client() as ctl:
            view = await reconcile.observe(ctl, app.name)
            plan.check_satisfiable(app, view.hosts)
            await AppStore(ctl.nc, ctl.lattice, self.config.js_domain).put(
                app.name, reconcile.stored_document(document, base_dir)
            )
            deadline = asyncio.get_running_loop().time() + wait_s
            while True:
                state = reconcile.status(app, await reconcile.observe(ctl, app.name))
                if state.ready or asyncio.get_running_loop().time() > deadline:
                    return state
                await asyncio.sleep(0.25)

    def summary(self, app: Application | None = None, state: reconcile.AppStatus | None = None) -> UpSummary:
        info = self.host.commands.host_info()
        return UpSummary(
            nats_url=self.nats_url,
            nats_started=self.nats_started,
            lattice=self.config.lattice,
            host_id=info.id,
            friendly_name=info.friendly_name,
            app=app.name if app else None,
            app_ready=bool(state and state.ready),
            urls=tuple(http_urls(app)) if app else (),
            components=tuple(
                {"name": c.name, "type": c.type, "wanted": c.wanted, "running": c.running} for c in state.components
            )
            if state
            else (),
        )


def write_ready(state_dir: Path, summary: UpSummary) -> Path:
    path = up_dir(state_dir) / "ready.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary.to_json()))
    return path


def clear_ready(state_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(up_dir(state_dir) / "ready.json")
