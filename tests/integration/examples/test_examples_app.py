"""actors-examples/app.yaml deployed through ``lattice.app``: stored in the lattice's app store (as ``lattice app
deploy`` does) and brought up by the host's own reconciler, on ports taken from the environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lattice.app import manifest, reconcile
from lattice.app.store import AppStore
from tests.integration.examples.examples_support import (
    EXAMPLES,
    ExampleLattice,
    open_lattice,
    wait_app_ready,
    wait_listening,
)
from tests.support.ports import free_port

RECONCILE_INTERVAL_S = 0.5
PORT_VARS = ("ECHO_PORT", "KVCOUNTER_PORT", "PINGER_PORT", "LOGGER_PORT")


async def get_json(lattice: ExampleLattice, url: str) -> object:
    async with lattice.http.get(url) as resp:
        assert resp.status == 200, f"GET {url}: {resp.status} {await resp.text()}"
        return json.loads(await resp.read())


@pytest.mark.slow
async def test_example_app_deploys_from_its_manifest_and_every_url_answers(
    nats_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with open_lattice(nats_url, tmp_path / "host", [], app_reconcile_interval_s=RECONCILE_INTERVAL_S) as lattice:
        ports = {var: free_port() for var in PORT_VARS}
        for var, port in ports.items():
            monkeypatch.setenv(var, str(port))
        subject = f"{lattice.prefix}.uppercase"
        monkeypatch.setenv("UPPERCASE_SUBJECT", subject)
        monkeypatch.setenv("KVCOUNTER_BUCKET", f"{lattice.prefix}_demo")
        document, base_dir = manifest.read_document(EXAMPLES / "app.yaml")
        app = manifest.parse(document, base_dir)
        assert {link.values.get("port") for comp in app.actors for link in comp.links} >= {
            str(p) for p in ports.values()
        }

        await AppStore(lattice.nc, lattice.prefix).put(app.name, reconcile.stored_document(document, base_dir))
        state = await wait_app_ready(lattice, app)
        assert {c.name: c.running for c in state.components} == {c.name: 1 for c in app.components}
        assert state.links_present == 6

        for port in ports.values():
            await wait_listening(port)
        base = {var: f"http://127.0.0.1:{port}" for var, port in ports.items()}
        echoed = await get_json(lattice, f"{base['ECHO_PORT']}/hello?who=app")
        assert isinstance(echoed, dict)
        assert (echoed["path"], echoed["query"]) == ("/hello", "who=app")
        assert await get_json(lattice, f"{base['KVCOUNTER_PORT']}/visits") == {"counter": 1}
        assert await get_json(lattice, f"{base['KVCOUNTER_PORT']}/visits") == {"counter": 2}
        assert await get_json(lattice, f"{base['PINGER_PORT']}/") == {"pong": "pong from ponger"}
        logged = await get_json(lattice, f"{base['LOGGER_PORT']}/")
        assert isinstance(logged, dict)
        assert sorted(logged) == ["guid", "random"]
        reply = await lattice.nc.request(subject, b"from the app", timeout=3)
        assert reply.data == b"FROM THE APP"
