"""The /metrics endpoint over real HTTP; listening addresses; a port in use is a typed error, nothing else stops."""

from __future__ import annotations

import socket

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from lattice.observe.errors import ListenAddressError, PortInUseError
from lattice.observe.exposition import MetricsServer
from lattice.observe.listen import ListenAddress, parse_listen_address
from lattice.observe.metrics import Metrics, Outcome

LOOPBACK = ListenAddress("127.0.0.1", 0)


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [("127.0.0.1:9090", "127.0.0.1", 9090), ("[::1]:0", "::1", 0), ("localhost:80", "localhost", 80)],
)
def test_listen_addresses_parse(text: str, host: str, port: int) -> None:
    assert parse_listen_address(text, "--metrics-addr") == ListenAddress(host, port)


@pytest.mark.parametrize(
    "text", ["", "9090", ":9090", "host:", "host:x", "host:70000", "::1:9090", "[::1:9090", "a b:1"]
)
def test_bad_listen_addresses_name_the_flag(text: str) -> None:
    with pytest.raises(ListenAddressError, match="--metrics-addr"):
        parse_listen_address(text, "--metrics-addr")


@pytest.mark.parametrize(
    ("host", "loopback"), [("127.0.0.1", True), ("127.9.9.9", True), ("::1", True), ("localhost", True),
                           ("0.0.0.0", False), ("::", False), ("192.0.2.1", False), ("example.org", False)]
)  # fmt: skip
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert ListenAddress(host, 1).is_loopback is loopback


async def test_metrics_are_scraped_over_http() -> None:
    metrics = Metrics()
    metrics.actor_invocation("Mactor", "Echo.Say", Outcome.OK, metrics.clock())
    async with MetricsServer(metrics, LOOPBACK) as server, aiohttp.ClientSession() as http:
        assert server.port > 0
        async with http.get(server.url) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"].startswith("text/plain")
            text = await resp.text()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    (sample,) = [s for s in families["wasmlattice_actor_invocations"].samples if s.name.endswith("_total")]
    assert sample.labels == {"actor": "Mactor", "operation": "Echo.Say", "outcome": "ok"}
    assert "wasmlattice_process_cpu_seconds" in families


async def test_a_port_in_use_is_a_typed_error_and_the_process_goes_on() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = MetricsServer(Metrics(process_collector=False), ListenAddress("127.0.0.1", port))
        with pytest.raises(PortInUseError, match=f"127.0.0.1:{port}.*in use"):
            await server.start()
        await server.stop()  # nothing was started: stopping is harmless
    async with (
        MetricsServer(Metrics(process_collector=False), LOOPBACK) as other,
        aiohttp.ClientSession() as http,
        http.get(other.url) as resp,
    ):
        assert resp.status == 200
