"""Helper for build.sh: reads each actor's actor.json, decides whether a signed module is current, writes manifest.json.

Standard library only; it talks to the project through the ``lattice`` CLI (``claims inspect --json`` and
``keys show --json``), the same interface build.sh signs with.

Usage (from build.sh)::

    actors.py sign-args NAME                the claims flags for NAME, NUL-separated
    actors.py stale --lattice L NAME…       the NAMEs whose NAME/NAME.wasm does not match the build and actor.json
    actors.py manifest --lattice L [NAME…]  write manifest.json, refreshing NAMEs (default all); fails if stale
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SPEC_FILE = "actor.json"
MANIFEST_FILE = "manifest.json"
ACCOUNT_SEED = ROOT / "keys" / "account.nk"
SPEC_KEYS = frozenset({"name", "caps", "rev", "ver", "call_alias"})


class SpecError(Exception):
    """An actor.json is missing, malformed or incomplete."""


@dataclass(frozen=True)
class ActorSpec:
    """One actor.json: what build.sh signs into the module's claims."""

    dir: str
    name: str
    caps: tuple[str, ...]
    rev: int
    ver: str
    call_alias: str | None

    @property
    def unsigned(self) -> Path:
        return ROOT / self.dir / "build" / f"{self.dir}.unsigned.wasm"

    @property
    def signed(self) -> Path:
        return ROOT / self.dir / f"{self.dir}.wasm"

    @property
    def module_seed(self) -> Path:
        return ROOT / self.dir / "module.nk"

    def sign_args(self) -> list[str]:
        args = ["--name", self.name]
        for cap in self.caps:
            args += ["--cap", cap]
        args += ["--rev", str(self.rev), "--ver", self.ver]
        if self.call_alias is not None:
            args += ["--call-alias", self.call_alias]
        return args


def load_spec(actor: str) -> ActorSpec:
    path = ROOT / actor / SPEC_FILE
    try:
        body = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise SpecError(f"{path}: {exc}") from exc
    if not isinstance(body, dict) or set(body) != SPEC_KEYS:
        raise SpecError(f"{path}: must be an object with exactly the keys {sorted(SPEC_KEYS)}")
    name, caps, rev, ver, alias = (body[k] for k in ("name", "caps", "rev", "ver", "call_alias"))
    if not (isinstance(name, str) and name):
        raise SpecError(f"{path}: 'name' must be a non-empty string")
    if not (isinstance(caps, list) and all(isinstance(c, str) and c for c in caps)):
        raise SpecError(f"{path}: 'caps' must be a list of contract ids")
    if not (isinstance(rev, int) and not isinstance(rev, bool) and rev >= 0):
        raise SpecError(f"{path}: 'rev' must be a non-negative integer")
    if not (isinstance(ver, str) and ver):
        raise SpecError(f"{path}: 'ver' must be a non-empty string")
    if not (alias is None or (isinstance(alias, str) and len(alias) > 1)):
        raise SpecError(f"{path}: 'call_alias' must be null or a string of 2+ characters")
    return ActorSpec(actor, name, tuple(caps), rev, ver, alias)


def actor_dirs() -> list[str]:
    return sorted(p.parent.name for p in ROOT.glob(f"*/{SPEC_FILE}"))


def module_hash(path: Path) -> str:
    """Upper-case hex SHA-256, the form of ``wascap.hash``."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest().upper()
    except OSError as exc:
        raise SpecError(f"cannot read {path.relative_to(ROOT)} (compile it with build.sh): {exc.strerror}") from exc


def run_json(lattice: str, *args: str) -> Any:
    done = subprocess.run([lattice, *args, "--json"], capture_output=True, text=True, check=False)
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        raise SpecError(f"`lattice {' '.join(args)}` failed: {done.stderr.strip() or done.stdout.strip()}") from None


@functools.cache
def public_key(lattice: str, seed_file: Path) -> str:
    key = run_json(lattice, "keys", "show", str(seed_file)).get("public_key")
    if not isinstance(key, str):
        raise SpecError(f"no public key for {seed_file}")
    return key


def staleness(lattice: str, spec: ActorSpec) -> str | None:
    """Why spec.signed must be signed again, or None if it matches the fresh build and actor.json."""
    if not spec.signed.is_file():
        return "not signed yet"
    try:
        report = run_json(lattice, "claims", "inspect", str(spec.signed))
    except SpecError as exc:
        return f"claims unreadable: {exc}"
    claims = report.get("claims", {})
    meta = claims.get("wascap", {})
    expected = {
        "signature/times valid": True,
        "hash": module_hash(spec.unsigned),
        "sub": public_key(lattice, spec.module_seed),
        "iss": public_key(lattice, ACCOUNT_SEED),
        "name": spec.name,
        "caps": list(spec.caps),
        "rev": spec.rev,
        "ver": spec.ver,
        "call_alias": spec.call_alias,
    }
    found = {
        "signature/times valid": report.get("valid"),
        "hash": meta.get("hash"),
        "sub": claims.get("sub"),
        "iss": claims.get("iss"),
        **{k: meta.get(k) for k in ("name", "caps", "rev", "ver", "call_alias")},
    }
    differ = [k for k in expected if expected[k] != found[k]]
    return f"claims differ in {', '.join(differ)}" if differ else None


def manifest(lattice: str, only: list[str]) -> dict[str, Any]:
    """The manifest with fresh entries for `only` (every actor if empty); other entries are kept as they were."""
    try:
        old = json.loads((ROOT / MANIFEST_FILE).read_text()).get("actors", {}) if only else {}
    except (OSError, json.JSONDecodeError):
        old = {}
    present = actor_dirs()
    actors: dict[str, Any] = {k: v for k, v in old.items() if k in present}
    for actor in only or present:
        spec = load_spec(actor)
        why = staleness(lattice, spec)
        if why is not None:
            raise SpecError(f"{spec.signed.relative_to(ROOT)} is stale ({why}): run build.sh without --no-sign")
        actors[actor] = {
            "name": spec.name,
            "public_key": public_key(lattice, spec.module_seed),
            "call_alias": spec.call_alias,
            "caps": list(spec.caps),
            "rev": spec.rev,
            "ver": spec.ver,
            "wasm": str(spec.signed.relative_to(ROOT)),
            "module_sha256": module_hash(spec.unsigned),
        }
    missing = sorted(set(present) - set(actors))
    if missing:
        raise SpecError(f"manifest has no entry for {', '.join(missing)}: run build.sh without actor names")
    return {"account": public_key(lattice, ACCOUNT_SEED), "actors": dict(sorted(actors.items()))}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["sign-args", "stale", "manifest"])
    parser.add_argument("actor", nargs="*")
    parser.add_argument("--lattice", default=str(ROOT.parent / ".venv" / "bin" / "lattice"))
    args = parser.parse_intermixed_args(argv)
    try:
        if args.command == "manifest":
            text = json.dumps(manifest(args.lattice, args.actor), indent=2) + "\n"
            (ROOT / MANIFEST_FILE).write_text(text)
        elif args.command == "stale":
            for actor in args.actor:
                why = staleness(args.lattice, load_spec(actor))
                if why is not None:
                    print(f"    {actor}: {why}", file=sys.stderr)
                    print(actor)
        elif len(args.actor) != 1:
            parser.error("sign-args needs exactly one actor name")
        else:
            sys.stdout.write("\0".join(load_spec(args.actor[0]).sign_args()) + "\0")
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
