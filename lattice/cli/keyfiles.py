"""Where seed files live and how the CLI reads a key given as a seed or a file."""

from __future__ import annotations

import os
from pathlib import Path

from lattice import keys
from lattice.cli.output import EXIT_USAGE, CliError
from lattice.settings import STATE_DIR, SettingsError, read_env

KEYS_DIR_ENV = "WASMLATTICE_KEYS_DIR"
DEFAULT_KEYS_DIR = Path("~/.wasmlattice/keys")


def keys_dir() -> Path:
    """``$WASMLATTICE_KEYS_DIR`` or ``~/.wasmlattice/keys``."""
    return Path(os.environ.get(KEYS_DIR_ENV) or DEFAULT_KEYS_DIR).expanduser()


def write_seed(path: Path, pair: keys.KeyPair, *, force: bool = False) -> Path:
    """Write a seed file readable by its owner only (0600); refuse to overwrite unless ``force``."""
    if path.exists() and not force:
        raise CliError(f"{path} already exists: choose another --name or -o, or pass --force to overwrite")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(pair.seed + "\n")
        os.chmod(path, 0o600)
    except OSError as exc:
        raise CliError(f"cannot write seed file {path}: {exc.strerror or exc}") from exc
    return path


def read_seed_file(value: str, what: str) -> str:
    """The stripped text of a seed file; a missing, unreadable or binary file is a :class:`CliError`."""
    path = Path(value).expanduser()
    if not path.is_file():
        raise CliError(f"{what} {value!r} is neither a seed (S…) nor a readable seed file")
    try:
        return path.read_text(encoding="ascii").strip()
    except OSError as exc:
        raise CliError(f"{what}: cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise CliError(f"{what}: {path} is not a seed file (it is not text)") from exc


def load_key(value: str, expected: keys.KeyType, what: str) -> keys.KeyPair:
    """A key pair from a seed string or from a file holding one."""
    text = value.strip()
    if not (text.startswith("S") and len(text) == keys.SEED_LENGTH):
        text = read_seed_file(value, what)
    try:
        return keys.KeyPair.from_seed(text, expected)
    except keys.NKeyError as exc:
        raise CliError(f"{what}: {exc}") from exc


CLUSTER_SEED_FILE = "cluster.nk"


def local_cluster_seed_file(state_dir: Path | None = None) -> Path:
    """Where ``lattice up`` keeps its cluster seed: ``{state dir}/cluster.nk`` (``$WASMLATTICE_STATE_DIR``)."""
    if state_dir is None:
        try:
            found: Path = read_env(os.environ, (STATE_DIR,)).get(STATE_DIR.field, STATE_DIR.default)
        except SettingsError as exc:
            raise CliError(f"bad environment: {exc}", EXIT_USAGE) from exc
        state_dir = found
    return state_dir.expanduser() / CLUSTER_SEED_FILE


def local_cluster_seed(state_dir: Path) -> str:
    """The local lattice's cluster seed, made (0600) on first use so restarts keep the same cluster key."""
    path = local_cluster_seed_file(state_dir)
    if path.is_file():
        return load_key(str(path), keys.KeyType.CLUSTER, str(path)).seed
    return write_seed(path, keys.KeyPair.create(keys.KeyType.CLUSTER)).read_text().strip()
