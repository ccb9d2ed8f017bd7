"""`lattice up` reports what runs: a port already in use fails it, naming the port, the link and the fix."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.local_lattice import APP, PORT_VARS, port_open
from tests.support.ports import free_port

LATTICE = [sys.executable, "-m", "lattice.cli.main"]


@pytest.mark.slow
def test_a_port_in_use_fails_up_naming_the_port_the_link_and_the_fix(tmp_path: Path, lattice_prefix: str) -> None:
    ports = {name: str(free_port()) for name in PORT_VARS}
    nats_port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", int(ports["ECHO_PORT"])))
        taken.listen()
        argv = [*LATTICE, "up", "--lattice", lattice_prefix, "--nats-url", f"nats://127.0.0.1:{nats_port}"]
        argv += ["--state-dir", str(tmp_path / "state"), "--app", str(APP), "--json"]
        done = subprocess.run(
            argv,
            env={**os.environ, **ports},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 1, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert summary["app_failed"] is True
    assert summary["app_ready"] is False
    port = ports["ECHO_PORT"]
    assert f"http://127.0.0.1:{port}/" not in summary["urls"], "no URL for a link that does not serve"
    assert f"http://127.0.0.1:{ports['KVCOUNTER_PORT']}/" in summary["urls"]
    problem = next(p for p in summary["problems"] if "echo → httpserver" in p)
    assert f"127.0.0.1:{port} is in use" in problem
    assert "ECHO_PORT" in problem, "the fix names the variable that moves the port"
    assert "refused" in done.stderr
    assert f"port={port}" in done.stderr
    assert not port_open(nats_port), "everything stops when up fails"
