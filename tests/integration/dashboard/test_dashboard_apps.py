"""The dashboard's app actions against a real host process: they run the functions of `lattice app` and answer with
the very errors the CLI prints — a bad manifest, a module changed without a new revision (then forced), an app
that is not deployed — and the page's view of an app is the status `lattice app status` reports. A link put from
the page resolves its ends as `lattice ctl link put` does."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from lattice.claims import read_claims
from lattice.control import ControlClient
from lattice.dashboard.server import ACTION_HEADER, Dashboard
from lattice.observe.listen import ListenAddress
from tests.support.app_lattice import ECHO, Lattice, manifest_file, resign_echo, running
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow
APP_WAIT_S = 45.0


@pytest.fixture
def lattice(nats_url: str, lattice_prefix: str, tmp_path: Path) -> Iterator[Lattice]:
    with running(nats_url, lattice_prefix, tmp_path) as found:
        yield found


@pytest.fixture
async def page_api(nc: Any, lattice_prefix: str) -> AsyncIterator[tuple[Dashboard, aiohttp.ClientSession]]:
    async with ControlClient(nc, lattice_prefix) as ctl, aiohttp.ClientSession() as http:
        dashboard = Dashboard(ctl, ListenAddress("127.0.0.1", 0))
        await dashboard.start()
        try:
            yield dashboard, http
        finally:
            await dashboard.stop()


async def act(api: tuple[Dashboard, aiohttp.ClientSession], name: str, body: dict[str, Any]) -> tuple[int, Any]:
    dashboard, http = api
    url = f"{dashboard.site.url}/api/actions/{name}"
    async with http.post(url, json=body, headers={ACTION_HEADER: "1"}) as resp:
        return resp.status, await resp.json()


async def cli(lattice: Lattice, *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(lattice.cli, *args, check=False)


async def shown_app(api: tuple[Dashboard, aiohttp.ClientSession], status: str, deployment: int) -> dict[str, Any]:
    dashboard, http = api

    async def seen() -> dict[str, Any] | None:
        async with http.get(f"{dashboard.site.url}/api/lattice") as resp:
            apps = (await resp.json())["apps"]
        found = [a for a in apps if a["status"] == status and a.get("deployment") == deployment]
        return dict(found[0]) if found else None

    return await wait_until(seen, APP_WAIT_S, f"the page to show the app {status} at deployment {deployment}")


async def test_the_page_deploys_with_the_checks_and_errors_of_the_cli(
    lattice: Lattice, page_api: tuple[Dashboard, aiohttp.ClientSession], tmp_path: Path
) -> None:
    module = tmp_path / "echo.wasm"
    shutil.copy(ECHO, module)
    app = tmp_path / "app.yaml"
    app.write_text(manifest_file(tmp_path, 1).read_text().replace(str(ECHO), str(module)))
    lattice.start_host("h1", "a")
    await asyncio.to_thread(lattice.wait_hosts, 1)

    missing = tmp_path / "nope.yaml"
    code, body = await act(page_api, "deploy_app", {"path": str(missing)})
    by_cli = await cli(lattice, "app", "deploy", str(missing))
    assert (code, by_cli.returncode) == (400, 2)
    assert f"error: {body['error']}" in by_cli.stderr

    code, body = await act(page_api, "deploy_app", {"path": str(app)})
    assert (code, body["ok"]) == (200, True), body
    assert "deployed 'echoapp' (deployment 1)" in body["message"]
    shown = await shown_app(page_api, "ready", 1)
    assert shown["components"] == [{"name": "echo", "type": "actor", "wanted": 1, "running": 1}]

    rev = read_claims(module.read_bytes()).metadata.rev or 0
    resign_echo(module, rev, b"v2")
    code, body = await act(page_api, "deploy_app", {"path": str(app)})
    by_cli = await cli(lattice, "app", "deploy", str(app))
    assert (code, by_cli.returncode) == (409, 1)
    assert f"keeps revision {rev}" in body["error"]
    assert f"error: {body['error']}" in by_cli.stderr

    code, body = await act(page_api, "deploy_app", {"path": str(app), "force_update": "true"})
    assert (code, body["ok"]) == (200, True), body
    assert "--force-update: stopping 1 running instance group(s) of echo" in body["message"]
    assert "deployment 2" in body["message"]
    await shown_app(page_api, "ready", 2)

    code, body = await act(page_api, "undeploy_app", {"name": "echoapp"})
    assert (code, body["message"]) == (200, "undeployed 'echoapp': 1 action(s)")
    code, body = await act(page_api, "undeploy_app", {"name": "echoapp"})
    by_cli = await cli(lattice, "app", "undeploy", "echoapp")
    assert (code, by_cli.returncode) == (404, 1)
    assert f"error: {body['error']}" in by_cli.stderr


async def test_a_link_to_an_unknown_actor_is_refused_as_the_cli_refuses_it(
    lattice: Lattice, page_api: tuple[Dashboard, aiohttp.ClientSession]
) -> None:
    lattice.start_host("h1", "a")
    await asyncio.to_thread(lattice.wait_hosts, 1)
    link = {"actor_id": "nobody", "provider_id": "nothing", "contract_id": "wasmcloud:httpserver"}
    code, body = await act(page_api, "put_link", link)
    by_cli = await cli(lattice, "ctl", "link", "put", "nobody", "nothing", "wasmcloud:httpserver")
    assert (code, by_cli.returncode) == (404, 1)
    assert "no actor with key, call alias or name 'nobody'" in body["error"]
    assert f"error: {body['error']}" in by_cli.stderr
