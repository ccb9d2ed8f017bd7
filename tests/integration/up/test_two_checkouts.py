"""Two checkouts, one NATS: a second `lattice up --app` from other paths ends with exactly one instance per actor."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.up.test_lattice_up import free_port

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "actors-examples"
LATTICE = [sys.executable, "-m", "lattice.cli.main"]
ACTORS = ("echo", "kvcounter", "pinger", "ponger", "logger", "uppercase")
SETTLE_S = 90.0


def checkout(root: Path) -> Path:
    """A copy of the example app (manifest and signed modules) at another path, as a second clone has."""
    for name in ACTORS:
        (root / name).mkdir(parents=True)
        shutil.copy(EXAMPLES / name / f"{name}.wasm", root / name / f"{name}.wasm")
    shutil.copy(EXAMPLES / "app.yaml", root / "app.yaml")
    return root / "app.yaml"


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    for proc in started:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def instances(nats_url: str, lattice: str) -> dict[str, int]:
    done = subprocess.run(
        [*LATTICE, "ctl", "get", "inventory", "--json", "--nats-url", nats_url, "--lattice", lattice],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found: list[dict[str, Any]] = json.loads(done.stdout)
    counts: dict[str, int] = {}
    for inventory in found if isinstance(found, list) else [found]:
        for actor in inventory["actors"]:
            counts[actor["name"] or actor["id"]] = counts.get(actor["name"] or actor["id"], 0) + len(actor["instances"])
    return counts


@pytest.mark.slow
def test_a_second_checkout_on_the_same_nats_runs_one_instance_each(
    tmp_path: Path, nats_url: str, lattice_prefix: str, procs: list[subprocess.Popen[bytes]]
) -> None:
    ports = {name: str(free_port()) for name in ("ECHO_PORT", "KVCOUNTER_PORT", "PINGER_PORT", "LOGGER_PORT")}
    env = {**os.environ, **ports, "UPPERCASE_SUBJECT": f"{lattice_prefix}.upper"}
    for name in ("a", "b"):
        app = checkout(tmp_path / name / "actors-examples")
        argv = [*LATTICE, "up", "--nats-url", nats_url, "--lattice", lattice_prefix, "--app", str(app)]
        argv += ["--state-dir", str(tmp_path / name / "state")]
        with (tmp_path / f"{name}.log").open("wb") as log:
            procs.append(subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT))
        ready = tmp_path / name / "state" / "up" / "ready.json"
        deadline = time.monotonic() + SETTLE_S
        while not ready.exists():
            assert procs[-1].poll() is None, (tmp_path / f"{name}.log").read_text()[-3000:]
            assert time.monotonic() < deadline, (tmp_path / f"{name}.log").read_text()[-3000:]
            time.sleep(0.2)
    # several reconcile passes later, still exactly one instance of each actor across both hosts
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        counts = instances(nats_url, lattice_prefix)
        assert all(n <= 1 for n in counts.values()), counts
        time.sleep(1)
    assert sorted(counts.values()) == [1] * len(ACTORS), counts
