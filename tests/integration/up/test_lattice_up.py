"""`make run`'s entry point on free ports: `lattice up --app actors-examples/app.yaml` serves the example app."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.local_lattice import APP, LATTICE, PORT_VARS, port_open, wait_ready
from tests.support.ports import free_port


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as reply:
        return reply.status, reply.read()


@pytest.fixture
def up(tmp_path: Path, lattice_prefix: str) -> Iterator[Any]:
    procs: list[subprocess.Popen[bytes]] = []

    def start(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], Path]:
        log = tmp_path / f"up-{len(procs)}.log"
        argv = [*LATTICE, "up", "--lattice", lattice_prefix, "--state-dir", str(tmp_path / "state"), *args]
        with log.open("wb") as out:
            proc = subprocess.Popen(argv, env={**os.environ, **(env or {})}, stdout=out, stderr=subprocess.STDOUT)
        procs.append(proc)
        return proc, log

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.mark.slow
def test_up_serves_the_example_app_and_stops_cleanly(up: Any, tmp_path: Path) -> None:
    nats_port = free_port()
    ports = {name: str(free_port()) for name in PORT_VARS}
    proc, log = up("--nats-url", f"nats://127.0.0.1:{nats_port}", "--app", str(APP), env=ports)
    summary = wait_ready(tmp_path / "state", proc, log)
    assert summary["nats_started"] is True
    assert summary["app_ready"] is True, summary
    assert f"http://127.0.0.1:{ports['ECHO_PORT']}/" in summary["urls"]

    status, body = get(f"http://127.0.0.1:{ports['ECHO_PORT']}/hello?x=1")
    assert status == 200
    assert json.loads(body)["path"] == "/hello"
    counts = [json.loads(get(f"http://127.0.0.1:{ports['KVCOUNTER_PORT']}/visits")[1])["counter"] for _ in range(2)]
    assert counts[1] == counts[0] + 1
    assert "pong" in json.loads(get(f"http://127.0.0.1:{ports['PINGER_PORT']}/")[1])

    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0
    assert not port_open(nats_port), "the nats-server that lattice up started must stop with it"
    assert not port_open(int(ports["ECHO_PORT"])), "providers must stop with the host"


def test_up_uses_a_nats_that_already_answers(up: Any, tmp_path: Path, nats_url: str) -> None:
    proc, log = up("--nats-url", nats_url)
    summary = wait_ready(tmp_path / "state", proc, log)
    assert summary["nats_started"] is False
    assert summary["nats_url"] == nats_url
    hosts = subprocess.run(
        [*LATTICE, "ctl", "get", "hosts", "--json", "--nats-url", nats_url, "--lattice", summary["lattice"]],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert [h["id"] for h in json.loads(hosts.stdout)] == [summary["host_id"]]


def test_detached_up_and_down(tmp_path: Path, lattice_prefix: str) -> None:
    state = tmp_path / "state"
    nats_port = free_port()
    common = ["--state-dir", str(state)]
    started = subprocess.run(
        [
            *LATTICE,
            "up",
            "--detach",
            "--json",
            "--lattice",
            lattice_prefix,
            "--nats-url",
            f"nats://127.0.0.1:{nats_port}",
            *common,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    try:
        assert started.returncode == 0, started.stderr
        summary = json.loads(started.stdout)
        assert summary["detached"] is True
        assert port_open(nats_port)
    finally:
        stopped = subprocess.run([*LATTICE, "down", *common], capture_output=True, text=True, timeout=60, check=False)
    assert stopped.returncode == 0, stopped.stderr
    assert not port_open(nats_port)
    again = subprocess.run([*LATTICE, "down", *common], capture_output=True, text=True, timeout=60, check=False)
    assert again.returncode == 0, "a second `lattice down` has nothing to do: that is not an error"
    assert "no detached lattice runs" in again.stdout


def test_up_with_a_bad_manifest_starts_nothing(tmp_path: Path, lattice_prefix: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {name: x}\nspec: {components: []}\n")
    nats_port = free_port()
    done = subprocess.run(
        [*LATTICE, "up", "--lattice", lattice_prefix, "--nats-url", f"nats://127.0.0.1:{nats_port}", "--app", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "spec.components must be a non-empty list" in done.stderr
    assert f"{bad}:" in done.stderr, "the error names the file"
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert not port_open(nats_port)
