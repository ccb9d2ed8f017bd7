"""Apps on a real lattice: deploy through the CLI, two host processes, kill one, the replica count comes back."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from lattice import keys
from tests.support.app_lattice import ECHO, POLL_S, REPO, WAIT_S, Lattice, manifest_file, running, wait_status
from tests.support.waiting import wait_until_blocking


@pytest.fixture
def lattice(nats_url: str, lattice_prefix: str, tmp_path: Path) -> Iterator[Lattice]:
    with running(nats_url, lattice_prefix, tmp_path) as found:
        yield found


@pytest.mark.slow
def test_killed_host_replicas_are_restored_on_the_survivor(lattice: Lattice, tmp_path: Path) -> None:
    first = lattice.start_host("h1", "a")
    lattice.start_host("h2", "b")
    lattice.wait_hosts(2)
    deployed = lattice.cli("app", "deploy", str(manifest_file(tmp_path, 2)), "--json")
    assert json.loads(deployed.stdout)["status"]["ready"] is True
    state = wait_status(lattice, lambda s: len(s["components"][0]["hosts"]) == 2, "spread over both hosts")
    assert state["components"][0]["running"] == 2

    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    lattice.wait_hosts(1)
    restored = wait_status(
        lattice,
        lambda s: s["ready"] and len(s["components"][0]["hosts"]) == 1,
        "replicas restored on the surviving host",
    )
    assert restored["components"][0]["running"] == 2

    lattice.cli("app", "undeploy", "echoapp")
    listed = json.loads(lattice.cli("app", "list", "--json").stdout)
    assert listed == []
    inventory = json.loads(lattice.cli("ctl", "get", "inventory", "--json").stdout)
    actors = inventory[0]["actors"] if isinstance(inventory, list) else inventory["actors"]
    assert actors == []


def test_bad_manifests_change_nothing(lattice: Lattice, tmp_path: Path) -> None:
    lattice.start_host("h1", "a")
    lattice.wait_hosts(1)
    unknown = lattice.cli("app", "deploy", str(manifest_file(tmp_path, 1, bogus="x")), check=False)
    assert unknown.returncode == 2
    assert "unknown field 'bogus'" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    spread = [{"name": "gpu", "requirements": {"gpu": "yes"}}]
    unsatisfiable = lattice.cli("app", "deploy", str(manifest_file(tmp_path, 1, spread)), check=False)
    assert unsatisfiable.returncode == 1
    assert "no host matches spread 'gpu'" in unsatisfiable.stderr
    assert json.loads(lattice.cli("app", "list", "--json").stdout) == []


def test_deploy_without_hosts_says_what_to_do(lattice: Lattice, tmp_path: Path) -> None:
    done = lattice.cli("app", "deploy", str(manifest_file(tmp_path, 1)), check=False)
    assert done.returncode != 0
    assert "lattice up" in done.stderr


def test_a_rebuilt_module_is_rolled_out_by_live_update(lattice: Lattice, tmp_path: Path) -> None:
    from lattice.claims import ActorSpec, read_claims, sign_module

    examples = REPO / "actors-examples"
    module = tmp_path / "echo.wasm"
    module.write_bytes(ECHO.read_bytes())
    app = tmp_path / "app.yaml"
    app.write_text(manifest_file(tmp_path, 1).read_text().replace(str(ECHO), str(module)))
    lattice.start_host("h1", "a")
    lattice.wait_hosts(1)
    lattice.cli("app", "deploy", str(app))
    running = read_claims(module.read_bytes()).metadata.rev or 0

    account = keys.KeyPair.from_seed((examples / "keys" / "account.nk").read_text())
    subject = keys.KeyPair.from_seed((examples / "echo" / "module.nk").read_text())
    spec = ActorSpec(name="Echo", caps=["wasmcloud:httpserver"], rev=running + 1, ver="0.1.1")
    module.write_bytes(sign_module(module.read_bytes(), spec, account, subject)[0])

    def rolled_out() -> bool:
        inventory = json.loads(lattice.cli("ctl", "get", "inventory", "--json").stdout)
        found = inventory[0] if isinstance(inventory, list) else inventory
        return [i["revision"] for a in found["actors"] for i in a["instances"]] == [running + 1]

    wait_until_blocking(rolled_out, WAIT_S, f"revision {running + 1} to be rolled out", poll_s=POLL_S)
