"""Run every ``sh`` block of docs/quickstart.md, in order, in a copy of the repository, on free ports.

The only rewrites: the example app's ports (8080–8083) become free ports, NATS moves off 4222, and
``~/.wasmlattice/host`` becomes a temporary state directory. The copy shares this checkout's ``.venv`` (a symlink),
so ``make`` is told never to rebuild it (``MAKEFLAGS=-o .venv/.installed``): reinstalling it from the copy would
point the shared venv's scripts at a temporary folder. Everything else runs exactly as written.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.ports import free_port

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "quickstart.md"
APP_PORTS = {"8080": "ECHO_PORT", "8081": "KVCOUNTER_PORT", "8082": "PINGER_PORT", "8083": "LOGGER_PORT"}

pytestmark = pytest.mark.skipif(shutil.which("npm") is None, reason="node/npm not installed: step 4 rebuilds an actor")


def sh_blocks(text: str) -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M)


def repo_copy(dest: Path) -> Path:
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    for name in tracked.splitlines():
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (REPO / name).is_file():
            shutil.copy2(REPO / name, target)
    (dest / ".venv").symlink_to(REPO / ".venv", target_is_directory=True)
    if (REPO / "actors-examples" / "node_modules").is_dir():
        (dest / "actors-examples" / "node_modules").symlink_to(REPO / "actors-examples" / "node_modules")
    return dest


@pytest.mark.slow
def test_quickstart_commands_run_as_written(tmp_path: Path) -> None:
    work = repo_copy(tmp_path / "repo")
    state = tmp_path / "state"
    nats_port = free_port()
    ports = {port: str(free_port()) for port in APP_PORTS}
    script = "\n".join(sh_blocks(DOC.read_text()))
    assert "lattice up" in script
    assert "lattice down" in script
    for port, new in ports.items():
        script = script.replace(f"127.0.0.1:{port}", f"127.0.0.1:{new}")
    script = script.replace("~/.wasmlattice/host", str(state))
    env = {
        **os.environ,
        "WASMLATTICE_STATE_DIR": str(state),
        "WASMCLOUD_CTL_PORT": str(nats_port),
        "NATS_URL": f"nats://127.0.0.1:{nats_port}",
        "MAKEFLAGS": "-o .venv/.installed",
        **{var: ports[port] for port, var in APP_PORTS.items()},
    }
    env.pop("VIRTUAL_ENV", None)
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-x", "-c", script],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    try:
        assert done.returncode == 0, f"quickstart failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        assert '"path":"/hello"' in done.stdout
        assert '"counter":2' in done.stdout
        assert "pong from ponger" in done.stdout
        assert '"Howdy, World!"' in done.stdout, "the provider of step 3, linked and called"
    finally:
        subprocess.run(
            ["bash", "-c", "lattice down || true"], cwd=work, env=env, capture_output=True, timeout=60, check=False
        )
