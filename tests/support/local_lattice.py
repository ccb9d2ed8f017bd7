"""What the tests of `lattice up` and of the example app share: the repository's paths, free ports, readiness."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.waiting import WaitTimeout, wait_until_blocking

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "actors-examples"
APP = EXAMPLES / "app.yaml"
ECHO = EXAMPLES / "echo" / "echo.wasm"
LATTICE = [sys.executable, "-m", "lattice.cli.main"]
READY_S = 60.0
PORT_VARS = ("ECHO_PORT", "KVCOUNTER_PORT", "PINGER_PORT", "LOGGER_PORT")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_ready(state_dir: Path, proc: subprocess.Popen[bytes], log: Path, timeout_s: float = READY_S) -> dict[str, Any]:
    """The summary `lattice up` writes to ``{state}/up/ready.json`` once its app runs (or failed)."""
    ready = state_dir / "up" / "ready.json"

    def written() -> bool:
        if proc.poll() is not None and not ready.exists():
            raise AssertionError(f"lattice up exited before it was ready:\n{log.read_text()[-3000:]}")
        return ready.exists()

    try:
        wait_until_blocking(written, timeout_s, "lattice up to be ready", poll_s=0.2)
    except WaitTimeout as exc:
        raise WaitTimeout(f"{exc}:\n{log.read_text()[-3000:]}") from None
    return dict(json.loads(ready.read_text()))
