"""``lattice keys``: make and show nkeys."""

from __future__ import annotations

import argparse
from pathlib import Path

from lattice import keys
from lattice.cli import output
from lattice.cli.keyfiles import keys_dir, read_seed_file, write_seed
from lattice.cli.output import CliError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("keys", help="make and show nkeys (seed files live in $WASMLATTICE_KEYS_DIR)")
    cmds = parser.add_subparsers(dest="keys_cmd", required=True, metavar="COMMAND")
    gen = cmds.add_parser("gen", help="generate a key pair and write its seed file (0600)")
    gen.add_argument("type", help="account, cluster, module, server, operator, user or service")
    gen.add_argument("--name", help="file name stem under the keys directory (default: the type)")
    gen.add_argument("-o", "--output", type=Path, help="write the seed to this file instead")
    gen.add_argument("--force", action="store_true", help="overwrite an existing seed file")
    gen.add_argument("--json", action="store_true", help="print JSON")
    gen.set_defaults(func=cmd_gen)
    show = cmds.add_parser("show", help="print the public key of a seed or seed file")
    show.add_argument("seed", help="a seed (S…) or a seed file")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=cmd_show)


def cmd_gen(args: argparse.Namespace) -> int:
    try:
        kind = keys.KeyType.from_name(args.type)
    except keys.NKeyError as exc:
        raise CliError(str(exc), output.EXIT_USAGE) from exc
    if kind is keys.KeyType.CURVE:
        raise CliError("curve (x25519) keys are not used by the lattice", output.EXIT_USAGE)
    pair = keys.KeyPair.create(kind)
    path = args.output or keys_dir() / f"{args.name or kind.name.lower()}.nk"
    write_seed(path, pair, force=args.force)
    if args.json:
        output.emit_json({"public_key": pair.public_key, "type": kind.name.lower(), "seed_file": str(path)})
    else:
        print(pair.public_key)
        output.progress(f"seed written to {path} (keep it secret)")
    return output.EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    text = args.seed.strip()
    if not text.startswith("S"):
        text = read_seed_file(text, "seed")
    try:
        pair = keys.KeyPair.from_seed(text)
    except keys.NKeyError as exc:
        raise CliError(f"not a valid seed: {exc}") from exc
    if args.json:
        output.emit_json({"public_key": pair.public_key, "type": pair.kind.name.lower()})
    else:
        print(pair.public_key)
    return output.EXIT_OK
