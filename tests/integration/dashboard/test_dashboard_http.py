"""The dashboard over plain HTTP: the token beyond loopback (401 without it), the same-origin guard on actions and
hosts, a port in use, bad bodies, and invocation rates counted from the lattice's rpc events."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from lattice import subjects
from lattice.control import ControlClient
from lattice.dashboard.errors import TokenRequiredError
from lattice.dashboard.server import ACTION_HEADER, Dashboard
from lattice.observe.errors import PortInUseError
from lattice.observe.listen import ListenAddress
from tests.support.waiting import wait_until

TOKEN = "s3cret-token"
ACTION = {ACTION_HEADER: "1"}


@pytest.fixture
async def ctl(nc: Any, lattice_prefix: str) -> AsyncIterator[ControlClient]:
    async with ControlClient(nc, lattice_prefix) as client:
        yield client


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def started(dashboard: Dashboard) -> Dashboard:
    await dashboard.start()
    return dashboard


def test_a_non_loopback_bind_needs_a_token(ctl: ControlClient) -> None:
    with pytest.raises(TokenRequiredError, match=r"0\.0\.0\.0:0"):
        Dashboard(ctl, ListenAddress("0.0.0.0", 0))


async def test_without_the_token_every_request_is_401(ctl: ControlClient, http: aiohttp.ClientSession) -> None:
    dashboard = await started(Dashboard(ctl, ListenAddress("0.0.0.0", 0), TOKEN))
    base = f"http://127.0.0.1:{dashboard.site.port}"
    try:
        for path in ("/", "/app.js", "/api/lattice", "/api/events", f"/?token=wrong{TOKEN}"):
            async with http.get(base + path) as resp:
                assert resp.status == 401, path
                assert resp.headers["WWW-Authenticate"] == "Bearer"
        async with http.post(base + "/api/actions/stop_actor", json={}, headers=ACTION) as resp:
            assert resp.status == 401
        async with http.get(f"{base}/?token={TOKEN}") as resp:
            assert resp.status == 200
            assert "wasmlattice" in await resp.text()
            assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
        async with http.get(f"{base}/api/rates", headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
            assert resp.status == 200
        assert dashboard.url.endswith(f"?token={TOKEN}")
    finally:
        await dashboard.stop()


async def test_actions_need_the_header_and_json_and_hosts_must_be_local(
    ctl: ControlClient, http: aiohttp.ClientSession
) -> None:
    dashboard = await started(Dashboard(ctl, ListenAddress("127.0.0.1", 0)))
    url = f"{dashboard.site.url}/api/actions/stop_actor"
    try:
        async with http.post(url, data="count=1", headers={"Content-Type": "application/x-www-form-urlencoded"}) as r:
            assert r.status == 403  # what a cross-site form could send
        async with http.post(url, json={}) as resp:
            assert resp.status == 403
        async with http.get(dashboard.site.url + "/", headers={"Host": "evil.example:80"}) as resp:
            assert resp.status == 403  # DNS rebinding
        async with http.post(url, data=b"{nope", headers={**ACTION, "Content-Type": "application/json"}) as resp:
            assert (resp.status, (await resp.json())["error"]) == (400, "the body is not JSON")
        async with http.post(url, json=[1], headers=ACTION) as resp:
            assert resp.status == 400
        async with http.post(url, json={"host": "x"}, headers=ACTION) as resp:
            assert (resp.status, await resp.json()) == (400, {"ok": False, "error": "actor_id is required"})
        async with http.post(url, json={"host": "nobody", "actor_id": "M"}, headers=ACTION) as resp:
            body = await resp.json()
            assert resp.status == 404
            assert "no host answered" in body["error"]
    finally:
        await dashboard.stop()


async def test_a_port_in_use_is_a_typed_error(ctl: ControlClient) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        dashboard = Dashboard(ctl, ListenAddress("127.0.0.1", taken.getsockname()[1]))
        with pytest.raises(PortInUseError, match="in use"):
            await dashboard.start()
    again = await started(Dashboard(ctl, ListenAddress("127.0.0.1", 0)))
    await again.stop()


async def test_rates_are_counted_from_rpc_events(
    ctl: ControlClient, nc: Any, lattice_prefix: str, http: aiohttp.ClientSession
) -> None:
    dashboard = await started(Dashboard(ctl, ListenAddress("127.0.0.1", 0)))
    try:
        for name in ("invocation_succeeded", "invocation_succeeded", "invocation_failed"):
            event = {"type": subjects.event_type(name), "data": {"dest": {"public_key": "Mx"}, "operation": "Op.Do"}}
            await nc.publish(subjects.rpc_events(lattice_prefix), json.dumps(event).encode())
        await nc.publish(subjects.rpc_events(lattice_prefix), b"not json")
        await nc.flush()

        async def counted() -> list[dict[str, Any]] | None:  # the dashboard's subscription may lag a moment
            async with http.get(dashboard.site.url + "/api/rates") as resp:
                found: list[dict[str, Any]] = (await resp.json())["rates"]
            return found if found and found[0]["per_minute"] >= 3 else None

        rates = await wait_until(counted, what="three invocations counted")
        assert rates == [{"target": "Mx", "operation": "Op.Do", "per_minute": 3, "failed": 1}]
    finally:
        await dashboard.stop()


async def test_rates_are_counted_from_invocation_summaries(
    ctl: ControlClient, nc: Any, lattice_prefix: str, http: aiohttp.ClientSession
) -> None:
    dashboard = await started(Dashboard(ctl, ListenAddress("127.0.0.1", 0)))
    try:
        rows = [
            {"dest": {"public_key": "Mx"}, "operation": "Op.Do", "succeeded": 4, "failed": 1},
            {"dest": {"public_key": "My"}, "operation": "Op.Go", "succeeded": 2, "failed": 0},
        ]
        kind = subjects.event_type("invocation_counts")
        hostile = {"type": kind, "data": {"counts": [{"dest": "not an entity", "operation": "Op.Bad"}]}}
        await nc.publish(subjects.rpc_events(lattice_prefix), json.dumps(hostile).encode())
        event = {"type": kind, "data": {"interval_ms": 1000, "counts": rows}}
        await nc.publish(subjects.rpc_events(lattice_prefix), json.dumps(event).encode())
        await nc.flush()

        async def counted() -> list[dict[str, Any]] | None:  # the dashboard's subscription may lag a moment
            async with http.get(dashboard.site.url + "/api/rates") as resp:
                found: list[dict[str, Any]] = (await resp.json())["rates"]
            return found if len(found) >= 2 else None

        rates = await wait_until(counted, what="two summary rows counted")
        assert rates == [
            {"target": "Mx", "operation": "Op.Do", "per_minute": 5, "failed": 1},
            {"target": "My", "operation": "Op.Go", "per_minute": 2, "failed": 0},
        ]
    finally:
        await dashboard.stop()
