"""Tests never read or write the user's home, whatever lies there.

``tests/conftest.py`` gives every test a temporary ``HOME`` and removes the shell's ``WASMCLOUD_*``/``WASMLATTICE_*``
/``HOST_*`` variables. The proof runs the test suite's most home-sensitive tests in a child pytest whose "real" home
holds what ``make run`` leaves behind — a local lattice's ``~/.wasmlattice/host/cluster.nk`` and a keys directory —
and a shell environment without any of our variables: the tests pass, and that home is left exactly as it was.
Before the fixture, ``test_call_needs_a_cluster_seed`` failed in exactly this situation (it signed with the seed it
found at home).
"""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest

from lattice import keys
from lattice.cli.keyfiles import keys_dir, local_cluster_seed_file
from lattice.cli.main import main
from lattice.settings import ConnectionSettings

REPO = Path(__file__).resolve().parents[2]
HOME_SENSITIVE = (
    "tests/unit/lattice/control/test_ctl_cli.py::test_call_needs_a_cluster_seed",
    "tests/unit/test_hermetic_home.py::test_a_key_made_without_a_path_lands_in_the_temporary_home",
    "tests/unit/test_hermetic_home.py::test_home_and_state_are_temporary",
)
CHILD_TIMEOUT_S = 100


def user_home() -> Path:
    return Path(pwd.getpwuid(os.getuid()).pw_dir)


def test_home_and_state_are_temporary() -> None:
    home = Path(os.environ["HOME"])
    assert home != user_home()
    assert Path.home() == home
    assert local_cluster_seed_file().is_relative_to(home)
    assert keys_dir().is_relative_to(home)
    assert ConnectionSettings.from_env(os.environ).state_dir.is_relative_to(home)
    leaked = {n for n in os.environ if n.startswith(("WASMCLOUD_", "WASMLATTICE_", "HOST_"))}
    assert leaked == {"WASMLATTICE_STATE_DIR", "WASMLATTICE_KEYS_DIR"}


def test_a_key_made_without_a_path_lands_in_the_temporary_home(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "gen", "account", "--name", "hermetic"]) == 0
    made = keys_dir() / "hermetic.nk"
    assert made.is_relative_to(Path.home())
    assert keys.KeyPair.from_seed(made.read_text().strip(), keys.KeyType.ACCOUNT)
    assert f"seed written to {made}" in capsys.readouterr().err


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_what_make_run_leaves_at_home_is_ignored_and_untouched(tmp_path: Path) -> None:
    home = tmp_path / "user-home"
    (home / ".wasmlattice" / "host").mkdir(parents=True)
    (home / ".wasmlattice" / "keys").mkdir()
    seed = keys.KeyPair.create(keys.KeyType.CLUSTER).seed
    (home / ".wasmlattice" / "host" / "cluster.nk").write_text(seed + "\n")
    (home / ".wasmlattice" / "keys" / "account.nk").write_text(keys.KeyPair.create(keys.KeyType.ACCOUNT).seed + "\n")
    before = snapshot(home)
    child = tmp_path / "child-pytest"
    shell = {k: v for k, v in os.environ.items() if not k.startswith(("WASMCLOUD_", "WASMLATTICE_", "HOST_"))}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *HOME_SENSITIVE, "-q", "-p", "no:cacheprovider", "--basetemp", str(child)],
        cwd=REPO,
        env=shell | {"HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert f"{len(HOME_SENSITIVE)} passed" in done.stdout
    assert snapshot(home) == before
