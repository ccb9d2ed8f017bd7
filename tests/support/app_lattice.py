"""Apps on a real lattice: host processes with a fast reconciler, the CLI against them, and an app's status.

Shared by tests/integration/apps (the ``lattice`` fixture is in its conftest).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from lattice import keys
from tests.support.local_lattice import ECHO, LATTICE, REPO
from tests.support.waiting import WaitTimeout, wait_until_blocking

__all__ = ["ECHO", "POLL_S", "REPO", "WAIT_S", "Lattice", "manifest_file", "resign_echo", "running", "wait_status"]

RECONCILE_S = "0.5"
WAIT_S = 45.0
POLL_S = 0.3


def manifest_file(tmp_path: Path, replicas: int, spread: list[dict[str, Any]] | None = None, **extra: Any) -> Path:
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


def resign_echo(module: Path, rev: int, marker: bytes) -> None:
    """Rebuild the echo actor (a custom section changes the hash) and sign it with ``rev``, as `make actors` would."""
    from lattice.claims import ActorSpec, sign_module

    account = keys.KeyPair.from_seed((REPO / "actors-examples" / "keys" / "account.nk").read_text())
    subject = keys.KeyPair.from_seed((REPO / "actors-examples" / "echo" / "module.nk").read_text())
    section = b"\x00" + bytes([len(marker) + 6]) + b"\x05build" + marker
    spec = ActorSpec(name="Echo", caps=["wasmcloud:httpserver"], rev=rev, ver="0.1.1")
    module.write_bytes(sign_module(ECHO.read_bytes() + section, spec, account, subject)[0])


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


def wait_status(lattice: Lattice, check: Any, what: str) -> dict[str, Any]:
    """The app status once ``check`` accepts it (the failure names the last status seen)."""
    seen: list[dict[str, Any]] = [{}]

    def accepted() -> dict[str, Any] | None:
        seen[0] = lattice.status()
        return seen[0] if seen[0] and check(seen[0]) else None

    try:
        return wait_until_blocking(accepted, WAIT_S, what, poll_s=POLL_S)
    except WaitTimeout as exc:
        raise WaitTimeout(f"{exc}; last status {seen[0]}") from None


@contextlib.contextmanager
def running(url: str, prefix: str, tmp_path: Path) -> Iterator[Lattice]:
    """A :class:`Lattice` whose host processes are stopped afterwards."""
    found = Lattice(url, prefix, tmp_path)
    try:
        yield found
    finally:
        found.stop()
