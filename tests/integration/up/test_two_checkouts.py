"""Two checkouts, one NATS: a second `lattice up --app` from other paths ends with exactly one instance per actor."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.local_lattice import LATTICE, PORT_VARS, REPO, wait_ready
from tests.support.ports import free_port
from tests.support.waiting import wait_until_blocking

EXAMPLES = REPO / "actors-examples"
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
    ports = {name: str(free_port()) for name in PORT_VARS}
    env = {**os.environ, **ports, "UPPERCASE_SUBJECT": f"{lattice_prefix}.upper"}
    for name in ("a", "b"):
        app = checkout(tmp_path / name / "actors-examples")
        argv = [*LATTICE, "up", "--nats-url", nats_url, "--lattice", lattice_prefix, "--app", str(app)]
        argv += ["--state-dir", str(tmp_path / name / "state")]
        with (tmp_path / f"{name}.log").open("wb") as log:
            procs.append(subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT))
        summary = wait_ready(tmp_path / name / "state", procs[-1], tmp_path / f"{name}.log", SETTLE_S)
        assert summary["app_ready"] is True, summary
    counts = wait_until_blocking(
        lambda: (
            (found := instances(nats_url, lattice_prefix)) and sorted(found.values()) == [1] * len(ACTORS) and found
        ),
        SETTLE_S,
        "exactly one instance of each actor",
        poll_s=0.5,
    )
    assert len(counts) == len(ACTORS)
    status = subprocess.run(
        [*LATTICE, "app", "status", "demo", "--json", "--nats-url", nats_url, "--lattice", lattice_prefix],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    body = json.loads(status.stdout)
    assert body["ready"] is True, body
    assert body["pending"] == [], "the reconciler has nothing left to start: no pass adds instances"
