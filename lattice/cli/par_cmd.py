"""``lattice par``: package a provider as a signed provider archive (PAR), and inspect one.

A PAR (docs/protocol.md §8.1) is a tar of ``claims.jwt`` (signed by an account, subject the provider's ``V…``
key, with the SHA-256 of each binary) and one ``{target}.bin`` per platform. Any executable works as the binary: a
native program, or a Python provider packed with ``python -m zipapp`` behind a ``#!`` line (docs/providers.md).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from lattice import keys
from lattice.claims import ProviderMetadata
from lattice.cli import output
from lattice.cli.keyfiles import keys_dir, load_key, write_seed
from lattice.cli.output import CliError
from lattice.provider import ProviderError
from lattice.provider.par import create_par, native_target, read_par


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("par", help="package a provider as a signed provider archive (.par.gz), inspect one")
    cmds = parser.add_subparsers(dest="par_cmd", required=True, metavar="COMMAND")
    create = cmds.add_parser("create", help="sign claims for an executable and pack them as a provider archive")
    create.add_argument("binary", type=Path, help="the provider executable for --target")
    create.add_argument("--issuer", required=True, help="account seed (SA…) or a file holding it")
    create.add_argument(
        "--subject",
        help="service seed (SV…) or file: the provider's key; default: NAME_provider.nk in the keys dir, made once",
    )
    create.add_argument("--name", required=True, help="the provider's name")
    create.add_argument("--contract", required=True, help="the contract id it serves, e.g. example:greeter")
    create.add_argument("--vendor", default="", help="vendor name")
    create.add_argument("--rev", type=int, default=1, help="revision (default 1)")
    create.add_argument("--ver", default="0.1.0", help="human-readable version (default 0.1.0)")
    create.add_argument("--target", default=native_target(), help=f"platform of the binary (default {native_target()})")
    create.add_argument("-o", "--output", type=Path, help="output file (default NAME.par.gz)")
    create.add_argument("--json", action="store_true", help="print JSON")
    create.set_defaults(func=cmd_create)
    inspect = cmds.add_parser("inspect", help="show an archive's claims and targets, checking signature and hashes")
    inspect.add_argument("archive", type=Path)
    inspect.add_argument("--json", action="store_true", help="print JSON")
    inspect.set_defaults(func=cmd_inspect)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name.lower()).strip("_") or "provider"


def _subject(args: argparse.Namespace) -> keys.KeyPair:
    if args.subject:
        return load_key(args.subject, keys.KeyType.SERVICE, "--subject")
    kept = keys_dir() / f"{_slug(args.name)}_provider.nk"
    if kept.is_file():
        return load_key(str(kept), keys.KeyType.SERVICE, str(kept))
    pair = keys.KeyPair.create(keys.KeyType.SERVICE)
    output.progress(f"new provider key {pair.public_key} saved to {write_seed(kept, pair)} (kept for rebuilds)")
    return pair


def cmd_create(args: argparse.Namespace) -> int:
    try:
        binary = args.binary.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {args.binary}: {exc.strerror or exc}") from exc
    issuer = load_key(args.issuer, keys.KeyType.ACCOUNT, "--issuer")
    subject = _subject(args)
    meta = ProviderMetadata(name=args.name, capid=args.contract, vendor=args.vendor, rev=args.rev, ver=args.ver)
    archive = create_par({args.target: binary}, issuer, subject.public_key, meta)
    out = args.output or Path(f"{_slug(args.name)}.par.gz")
    try:
        out.write_bytes(archive)
    except OSError as exc:
        raise CliError(f"cannot write {out}: {exc.strerror or exc}") from exc
    if args.json:
        output.emit_json({"output": str(out), "public_key": subject.public_key, "contract_id": args.contract})
    else:
        print(f"packed {out} as provider {subject.public_key} ({args.contract}, {args.target})")
    return output.EXIT_OK


def cmd_inspect(args: argparse.Namespace) -> int:
    try:
        archive = read_par(args.archive.read_bytes())
    except OSError as exc:
        raise CliError(f"cannot read {args.archive}: {exc.strerror or exc}") from exc
    except ProviderError as exc:
        raise CliError(f"{args.archive}: {exc}") from exc
    claims, meta = archive.claims, archive.claims.metadata
    found = {
        "public_key": claims.subject,
        "issuer": claims.issuer,
        "name": meta.name,
        "contract_id": meta.capid,
        "vendor": meta.vendor,
        "rev": meta.rev,
        "ver": meta.ver,
        "targets": sorted(archive.binaries),
    }
    if args.json:
        output.emit_json(found)
    else:
        output.fields({k.replace("_", " "): v if not isinstance(v, list) else ", ".join(v) for k, v in found.items()})
    return output.EXIT_OK
