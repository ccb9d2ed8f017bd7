"""`app deploy` and `app status` say what runs: refused links, modules changed without a new revision."""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lattice.claims import read_claims
from tests.support.app_lattice import ECHO, Lattice, manifest_file, resign_echo, running, wait_status
from tests.support.local_lattice import APP, LATTICE, PORT_VARS
from tests.support.ports import free_port


@pytest.fixture
def lattice(nats_url: str, lattice_prefix: str, tmp_path: Path) -> Iterator[Lattice]:
    with running(nats_url, lattice_prefix, tmp_path) as found:
        yield found


@pytest.fixture
def demo_env(lattice_prefix: str) -> Iterator[dict[str, str]]:
    """Free ports for the example app, in the environment the CLI expands ``${VAR:-default}`` from."""
    ports = {name: str(free_port()) for name in PORT_VARS} | {"UPPERCASE_SUBJECT": f"{lattice_prefix}.upper"}
    saved = {k: os.environ.get(k) for k in ports}
    os.environ.update(ports)
    yield ports
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.mark.slow
def test_a_port_in_use_fails_deploy_and_shows_in_status(lattice: Lattice, demo_env: dict[str, str]) -> None:
    lattice.start_host("h1", "a")
    lattice.wait_hosts(1)
    port = demo_env["LOGGER_PORT"]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", int(port)))
        taken.listen()
        deploy = lattice.cli("app", "deploy", str(APP), "--wait-timeout", "60", check=False)
        assert deploy.returncode == 1, deploy.stderr
        assert f"127.0.0.1:{port} is in use" in deploy.stderr
        status = lattice.cli("app", "status", "demo", "--json", check=False)
    assert status.returncode == 1
    body: dict[str, Any] = json.loads(status.stdout)
    states = {(x["source"], x["target"]): x["state"] for x in body["links"]["each"]}
    assert states[("logger", "httpserver")] == "refused"
    assert states[("echo", "httpserver")] == "linked"
    assert body["links"]["present"] == body["links"]["wanted"] - 1
    assert body["failed"] is True
    lattice.cli("app", "undeploy", "demo")


def test_a_module_changed_without_a_new_rev_is_refused_unless_forced(lattice: Lattice, tmp_path: Path) -> None:
    module = tmp_path / "echo.wasm"
    shutil.copy(ECHO, module)
    app = tmp_path / "app.yaml"
    app.write_text(manifest_file(tmp_path, 1).read_text().replace(str(ECHO), str(module)))
    lattice.start_host("h1", "a")
    lattice.wait_hosts(1)
    first = json.loads(lattice.cli("app", "deploy", str(app), "--json").stdout)
    assert first["deployment"] == 1
    assert first["status"]["ready"] is True
    rev = read_claims(module.read_bytes()).metadata.rev or 0

    resign_echo(module, rev, b"v2")
    refused = lattice.cli("app", "deploy", str(app), check=False)
    assert refused.returncode == 1
    assert f"keeps revision {rev}" in refused.stderr
    assert "--force-update" in refused.stderr
    assert "higher revision" in refused.stderr

    forced = json.loads(lattice.cli("app", "deploy", str(app), "--force-update", "--json").stdout)
    assert forced["deployment"] == 2
    assert forced["status"]["ready"] is True
    inventory = json.loads(lattice.cli("ctl", "get", "inventory", "--json").stdout)
    actors = (inventory[0] if isinstance(inventory, list) else inventory)["actors"]
    assert [len(a["instances"]) for a in actors] == [1]
    lattice.cli("app", "undeploy", "echoapp")


def test_the_reconciler_wakes_on_events_not_on_its_interval(lattice: Lattice, tmp_path: Path) -> None:
    """With a 10-minute backstop, a stopped instance still comes back at once: the actor_stopped event wakes it."""
    import subprocess

    env = dict(os.environ, WASMLATTICE_APP_RECONCILE_INTERVAL_S="600", WASMCLOUD_CLUSTER_SEED=lattice.cluster.seed)
    argv = [*LATTICE, "host", "--nats-url", lattice.url, "--lattice", lattice.prefix, "--allow-file-load"]
    argv += ["--state-dir", str(tmp_path / "slow")]
    with (tmp_path / "slow.log").open("wb") as log:
        lattice.hosts.append(subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT))
    [host] = lattice.wait_hosts(1)
    deployed = json.loads(lattice.cli("app", "deploy", str(manifest_file(tmp_path, 1)), "--json").stdout)
    assert deployed["status"]["ready"] is True
    inventory = json.loads(lattice.cli("ctl", "get", "inventory", host["id"], "--json").stdout)
    [echo] = inventory["actors"]
    lattice.cli("ctl", "stop", "actor", host["id"], echo["id"])
    restored = wait_status(lattice, lambda s: s["ready"], "the stopped instance restored long before the interval")
    assert restored["components"][0]["running"] == 1
