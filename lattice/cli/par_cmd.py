"""``lattice par``: make and inspect provider archives (signed claims, one binary per target, ``target_hashes``)."""

from __future__ import annotations

import argparse
import re
import tempfile
from pathlib import Path
from typing import Any

from lattice import keys
from lattice.claims import ProviderMetadata
from lattice.cli import output
from lattice.cli.keyfiles import keys_dir, load_key, write_seed
from lattice.cli.output import CliError
from lattice.provider.errors import ProviderArchiveError
from lattice.provider.par import ProviderArchive, create_par, read_par, sha256_upper
from lattice.provider.pypar import check_imports, is_python_target, pack_python, read_manifest, select_target


def _target_file(text: str) -> tuple[str, Path]:
    target, sep, path = text.partition("=")
    if not sep or not target.strip() or not path.strip():
        raise argparse.ArgumentTypeError(f"expected TARGET=FILE (e.g. x86_64-linux=./provider), got {text!r}")
    return target.strip(), Path(path.strip())


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("par", help="make and inspect provider archives (.par.gz)")
    cmds = parser.add_subparsers(dest="par_cmd", required=True, metavar="COMMAND")
    create = cmds.add_parser("create", help="pack provider binaries or a Python provider into a signed archive")
    add = create.add_argument
    add("--issuer", required=True, help="account seed (SA…) or a file holding it")
    add("--subject", help="provider seed (SV…) or file; default: a new key saved in the keys directory")
    add("--name", required=True, help="the provider's name")
    add("--capid", required=True, help="the capability contract it implements, e.g. wasmcloud:keyvalue")
    add("--vendor", default="", help="who made it")
    add("--rev", type=int, help="revision number")
    add("--ver", help="human-readable version, e.g. 0.1.0")
    add("--binary", type=_target_file, action="append", default=[], help="TARGET=FILE, e.g. x86_64-linux=./kv (repeat)")
    add("--python", metavar="MODULE", help="pack the Python provider run as `python -m MODULE` with what it imports")
    add("--path", action="append", default=[], help="with --python: a directory to find MODULE in (repeat)")
    add("--include", action="append", default=[], help="with --python: a package it imports dynamically (repeat)")
    add("--exclude", action="append", default=[], help="with --python: a package to leave out (repeat)")
    add("--no-check", action="store_true", help="with --python: skip importing MODULE from the packed environment")
    add("-o", "--output", type=Path, help="output file (default: NAME.par.gz)")
    add("--json", action="store_true", help="print JSON")
    create.set_defaults(func=cmd_create)
    inspect = cmds.add_parser("inspect", help="show an archive's claims and targets; verifies signature and hashes")
    inspect.add_argument("archive", type=Path)
    inspect.add_argument("--json", action="store_true", help="print JSON")
    inspect.set_defaults(func=cmd_inspect)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _binaries(args: argparse.Namespace) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for target, path in args.binary:
        if target in found:
            raise CliError(f"target {target} is given twice", output.EXIT_USAGE)
        found[target] = _read(path)
    if args.python:
        output.progress(f"packing {args.python} and the packages it imports …")
        try:
            payload = pack_python(args.python, path=args.path, include=args.include, exclude=args.exclude)
            if not args.no_check:
                with tempfile.TemporaryDirectory(prefix="lattice-par-") as scratch:
                    check_imports(payload.data, Path(scratch))
        except ProviderArchiveError as exc:
            raise CliError(f"cannot pack {args.python}: {exc}") from exc
        if payload.target in found:
            raise CliError(f"target {payload.target} is given twice", output.EXIT_USAGE)
        found[payload.target] = payload.data
    if not found:
        raise CliError("nothing to pack: give --binary TARGET=FILE and/or --python MODULE", output.EXIT_USAGE)
    return found


def cmd_create(args: argparse.Namespace) -> int:
    issuer = load_key(args.issuer, keys.KeyType.ACCOUNT, "--issuer")
    subject = load_key(args.subject, keys.KeyType.SERVICE, "--subject") if args.subject else None
    new_key_file = None
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", args.name.lower())
    if subject is None:
        subject = keys.KeyPair.create(keys.KeyType.SERVICE)
        new_key_file = keys_dir() / f"{slug}_provider.nk"
        if new_key_file.exists():
            raise CliError(f"{new_key_file} already exists: pass it as --subject, or choose another --name")
    binaries = _binaries(args)
    meta = ProviderMetadata(name=args.name, capid=args.capid, vendor=args.vendor, rev=args.rev, ver=args.ver)
    data = create_par(binaries, issuer, subject.public_key, meta)
    out = args.output or Path(f"{slug}.par.gz")
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise CliError(f"cannot write {out}: {exc.strerror or exc}") from exc
    if new_key_file is not None:
        output.progress(f"new provider key saved to {write_seed(new_key_file, subject)}")
    if args.json:
        output.emit_json({"output": str(out), "public_key": subject.public_key, "targets": sorted(binaries)})
    else:
        print(f"wrote {out} ({len(data)} bytes) for {subject.public_key}, targets: {', '.join(sorted(binaries))}")
    return output.EXIT_OK


def _targets(archive: ProviderArchive) -> list[dict[str, Any]]:
    rows = []
    for target, body in sorted(archive.binaries.items()):
        row: dict[str, Any] = {"target": target, "size": len(body), "sha256": sha256_upper(body)}
        if is_python_target(target):
            row["python_module"] = read_manifest(body)["module"]
        rows.append(row)
    return rows


def cmd_inspect(args: argparse.Namespace) -> int:
    try:
        archive = read_par(_read(args.archive))
    except ProviderArchiveError as exc:
        raise CliError(f"{args.archive}: {exc}") from exc
    try:
        runs: str | None = select_target(archive)
    except ProviderArchiveError:
        runs = None
    claims, meta = archive.claims, archive.claims.metadata
    targets = _targets(archive)
    if args.json:
        output.emit_json({"claims": claims.to_json(), "targets": targets, "this_host_runs": runs, "valid": True})
        return output.EXIT_OK
    output.fields(
        {
            "Account": claims.issuer,
            "Provider": claims.subject,
            "Name": meta.name or "",
            "Contract": meta.capid,
            "Vendor": meta.vendor or "",
            "Version": f"{meta.ver or '-'} (rev {meta.rev if meta.rev is not None else '-'})",
            "This host runs": runs or "(no target for this platform)",
            "Checks": "signature, times and every target hash ok",
        }
    )
    print()
    output.table(
        ["TARGET", "SIZE", "SHA-256", "PYTHON MODULE"],
        [[t["target"], t["size"], t["sha256"][:16] + "…", t.get("python_module", "")] for t in targets],
    )
    return output.EXIT_OK
