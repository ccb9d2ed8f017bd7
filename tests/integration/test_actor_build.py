"""A fresh build of every example actor gives the module hash recorded in its committed, signed .wasm."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from lattice.claims import read_claims

ROOT = Path(__file__).resolve().parents[2] / "actors-examples"
NODE = shutil.which("node")
NPM = shutil.which("npm")

pytestmark = pytest.mark.skipif(
    NODE is None or NPM is None, reason="node/npm not installed: cannot rebuild the example actors here"
)


@pytest.fixture(scope="module")
def fresh_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Compile (without signing) a copy of actors-examples; node_modules is reused when present."""
    work = tmp_path_factory.mktemp("actors") / "actors-examples"
    shutil.copytree(ROOT, work, ignore=shutil.ignore_patterns("node_modules", "build"))
    if (ROOT / "node_modules").is_dir():
        (work / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    done = subprocess.run(
        ["bash", str(work / "build.sh"), "--no-sign"], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, f"build failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return work


ACTORS = sorted(json.loads((ROOT / "manifest.json").read_text())["actors"])


@pytest.mark.slow
@pytest.mark.parametrize("name", ACTORS)
def test_committed_module_matches_fresh_build(fresh_build: Path, name: str) -> None:
    unsigned = (fresh_build / name / "build" / f"{name}.unsigned.wasm").read_bytes()
    committed = read_claims((ROOT / name / f"{name}.wasm").read_bytes())
    assert committed.metadata.hash == hashlib.sha256(unsigned).hexdigest().upper()
