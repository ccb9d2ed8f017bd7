"""Apps on a real lattice: deploy through the CLI, two host processes, kill one, the replica count comes back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from lattice import keys
from tests.support.waiting import WaitTimeout, wait_until_blocking

REPO = Path(__file__).resolve().parents[3]
ECHO = REPO / "actors-examples" / "echo" / "echo.wasm"
LATTICE = [sys.executable, "-m", "lattice.cli.main"]
RECONCILE_S = "0.5"
WAIT_S = 45.0
POLL_S = 0.3


def _manifest(tmp_path: Path, replicas: int, spread: list[dict[str, Any]] | None = None, **extra: Any) -> Path:
    scaler: dict[str, Any] = {"replicas": replicas}
    if spread:
        scaler["spread"] = spread
    doc = {
        "apiVersion": "core.oam.dev/v1beta1",
        "kind": "Application",
        "metadata": {"name": "echoapp"},
        "spec": {
            "components": [
                {
                    "name": "echo",
                    "type": "actor",
                    "properties": {"image": str(ECHO), **extra},
                    "traits": [{"type": "spreadscaler", "properties": scaler}],
                }
            ]
        },
    }
    path = tmp_path / f"app-{replicas}-{len(spread or [])}-{len(extra)}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


class Lattice:
    def __init__(self, url: str, prefix: str, tmp_path: Path) -> None:
        self.url, self.prefix, self.tmp = url, prefix, tmp_path
        self.cluster = keys.KeyPair.create(keys.KeyType.CLUSTER)
        self.hosts: list[subprocess.Popen[bytes]] = []

    def start_host(self, name: str, zone: str) -> subprocess.Popen[bytes]:
        env = dict(
            os.environ, WASMLATTICE_APP_RECONCILE_INTERVAL_S=RECONCILE_S, WASMCLOUD_CLUSTER_SEED=self.cluster.seed
        )
        argv = [*LATTICE, "-v", "host", "--nats-url", self.url, "--lattice", self.prefix, "--allow-file-load"]
        argv += ["--label", f"zone={zone}", "--state-dir", str(self.tmp / name)]
        with (self.tmp / f"{name}.log").open("wb") as log:
            proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.hosts.append(proc)
        return proc

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        argv = [*LATTICE, *args, "--nats-url", self.url, "--lattice", self.prefix]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=90, check=False)
        if check:
            assert done.returncode == 0, f"{args}: {done.stderr}"
        return done

    def status(self) -> dict[str, Any]:
        return json.loads(self.cli("app", "status", "echoapp", "--json", check=False).stdout or "{}")

    def wait_hosts(self, count: int) -> list[dict[str, Any]]:
        def answered() -> list[dict[str, Any]] | None:
            done = self.cli("ctl", "get", "hosts", "--json", check=False)
            hosts = json.loads(done.stdout) if done.returncode == 0 else []
            return list(hosts) if len(hosts) == count else None

        return wait_until_blocking(answered, WAIT_S, f"{count} hosts to answer", poll_s=POLL_S)

    def stop(self) -> None:
        for proc in self.hosts:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.hosts:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def lattice(nats_url: str, lattice_prefix: str, tmp_path: Path) -> Iterator[Lattice]:
    found = Lattice(nats_url, lattice_prefix, tmp_path)
    try:
        yield found
    finally:
        found.stop()


def _wait_for(lattice: Lattice, check: Any, what: str) -> dict[str, Any]:
    """The app status once ``check`` accepts it (the failure names the last status seen)."""
    seen: list[dict[str, Any]] = [{}]

    def accepted() -> dict[str, Any] | None:
        seen[0] = lattice.status()
        return seen[0] if seen[0] and check(seen[0]) else None

    try:
        return wait_until_blocking(accepted, WAIT_S, what, poll_s=POLL_S)
    except WaitTimeout as exc:
        raise WaitTimeout(f"{exc}; last status {seen[0]}") from None


@pytest.mark.slow
def test_killed_host_replicas_are_restored_on_the_survivor(lattice: Lattice, tmp_path: Path) -> None:
    first = lattice.start_host("h1", "a")
    lattice.start_host("h2", "b")
    lattice.wait_hosts(2)
    deployed = lattice.cli("app", "deploy", str(_manifest(tmp_path, 2)), "--json")
    assert json.loads(deployed.stdout)["status"]["ready"] is True
    state = _wait_for(lattice, lambda s: len(s["components"][0]["hosts"]) == 2, "spread over both hosts")
    assert state["components"][0]["running"] == 2

    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    lattice.wait_hosts(1)
    restored = _wait_for(
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
    unknown = lattice.cli("app", "deploy", str(_manifest(tmp_path, 1, bogus="x")), check=False)
    assert unknown.returncode == 2
    assert "unknown field 'bogus'" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    spread = [{"name": "gpu", "requirements": {"gpu": "yes"}}]
    unsatisfiable = lattice.cli("app", "deploy", str(_manifest(tmp_path, 1, spread)), check=False)
    assert unsatisfiable.returncode == 1
    assert "no host matches spread 'gpu'" in unsatisfiable.stderr
    assert json.loads(lattice.cli("app", "list", "--json").stdout) == []


def test_deploy_without_hosts_says_what_to_do(lattice: Lattice, tmp_path: Path) -> None:
    done = lattice.cli("app", "deploy", str(_manifest(tmp_path, 1)), check=False)
    assert done.returncode != 0
    assert "lattice up" in done.stderr


def test_a_rebuilt_module_is_rolled_out_by_live_update(lattice: Lattice, tmp_path: Path) -> None:
    from lattice.claims import ActorSpec, read_claims, sign_module

    examples = REPO / "actors-examples"
    module = tmp_path / "echo.wasm"
    module.write_bytes(ECHO.read_bytes())
    app = tmp_path / "app.yaml"
    app.write_text(_manifest(tmp_path, 1).read_text().replace(str(ECHO), str(module)))
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
