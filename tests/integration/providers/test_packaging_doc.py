"""docs/providers.md "Packaging with signed claims", run as written from an empty folder against `lattice up`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.local_lattice import APP, PORT_VARS
from tests.support.ports import free_port

REPO = Path(__file__).resolve().parents[3]
DOC = REPO / "docs" / "providers.md"
SECTION = "## Packaging with signed claims"
VENV_BIN = Path(sys.executable).parent


def section_blocks() -> str:
    text = DOC.read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    blocks = re.findall(r"^```sh\n(.*?)^```", text[start : end if end > 0 else None], flags=re.S | re.M)
    assert len(blocks) == 3, "the section's three steps"
    return "\n".join(blocks)


@pytest.mark.slow
def test_the_packaging_section_runs_as_written(tmp_path: Path, lattice_prefix: str) -> None:
    state, folder = tmp_path / "state", tmp_path / "empty"
    folder.mkdir()
    nats_port = free_port()
    env = {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
        "WASMLATTICE_STATE_DIR": str(state),
        "WASMCLOUD_CTL_PORT": str(nats_port),
        "WASMCLOUD_LATTICE_PREFIX": lattice_prefix,
        "UPPERCASE_SUBJECT": f"{lattice_prefix}.upper",
        **{name: str(free_port()) for name in PORT_VARS},
    }
    up = subprocess.run(
        ["lattice", "up", "--detach", "--app", str(APP), "--nats-url", f"nats://127.0.0.1:{nats_port}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert up.returncode == 0, up.stderr
    try:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-x", "-c", section_blocks()],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert done.returncode == 0, f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
        assert '"Howdy, World!"' in done.stdout
        assert "linked:" in done.stdout, "link put reports the provider's acknowledgement"
        inventory = subprocess.run(
            ["lattice", "ctl", "get", "inventory"], env=env, capture_output=True, text=True, timeout=60, check=True
        )
        assert "Greeter" in inventory.stdout
    finally:
        subprocess.run(["lattice", "down"], env=env, capture_output=True, timeout=90, check=False)
