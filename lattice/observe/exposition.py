"""The ``/metrics`` endpoint: a process's registry in the Prometheus text format, on a configured ``HOST:PORT``.

Off unless an address is configured (``--metrics-addr HOST:PORT`` or ``WASMLATTICE_METRICS_ADDR``)::

    server = MetricsServer(metrics, parse_listen_address("127.0.0.1:9090", "--metrics-addr"))
    await server.start()          # PortInUseError / ListenError: log it and keep running without the endpoint
    ...
    await server.stop()

Served by aiohttp on the process's own event loop (no extra thread); rendering the registry is synchronous and
takes well under a millisecond for a host's few hundred series.
"""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from lattice.observe.listen import ListenAddress, Site
from lattice.observe.metrics import Metrics

METRICS_ADDR_ENV = "WASMLATTICE_METRICS_ADDR"
METRICS_ADDR_FLAG = "--metrics-addr"
METRICS_PATH = "/metrics"


class MetricsServer:
    """Serves ``GET /metrics`` for one :class:`Metrics`; ``url`` is known once :meth:`start` returned."""

    def __init__(self, metrics: Metrics, address: ListenAddress) -> None:
        self.metrics = metrics
        app = web.Application()
        app.router.add_get(METRICS_PATH, self._metrics)
        app.router.add_get("/", self._index)
        self._site = Site(app, address, "metrics")

    @property
    def url(self) -> str:
        return self._site.url + METRICS_PATH

    @property
    def port(self) -> int:
        return self._site.port

    async def start(self) -> None:
        await self._site.start()

    async def stop(self) -> None:
        await self._site.stop()

    async def __aenter__(self) -> MetricsServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _metrics(self, _request: web.Request) -> web.Response:
        body = generate_latest(self.metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _index(self, _request: web.Request) -> web.Response:
        return web.Response(text=f"wasmlattice metrics: {METRICS_PATH}\n")
