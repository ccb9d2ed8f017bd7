"""``lattice claims``: sign actor modules and inspect their claims."""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path
from typing import Any

from lattice import claims, keys
from lattice.claims import jwt, wasm
from lattice.cli import output
from lattice.cli.keyfiles import keys_dir, load_key, write_seed
from lattice.cli.output import CliError

_DURATION = re.compile(r"^(\d+)\s*([smhdwy]?)$")
_UNIT_S = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}


def parse_duration(text: str) -> int:
    """``90``, ``30s``, ``15m``, ``2h``, ``7d``, ``2w``, ``1y`` → seconds."""
    found = _DURATION.match(text.strip().lower())
    if not found:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 3600, 30m, 12h, 7d or 1y")
    return int(found.group(1)) * _UNIT_S[found.group(2)]


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for item in values or [] for v in item.split(",") if v.strip()]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("claims", help="sign actor modules and inspect their claims")
    cmds = parser.add_subparsers(dest="claims_cmd", required=True, metavar="COMMAND")
    sign = cmds.add_parser("sign", help="embed signed actor claims into a wasm module")
    sign.add_argument("wasm", type=Path, help="the module to sign (an old token is replaced)")
    sign.add_argument("--issuer", required=True, help="account seed (SA…) or a file holding it")
    sign.add_argument("--subject", help="module seed (SM…) or file; default: a new key saved in the keys directory")
    sign.add_argument("--name", required=True, help="the actor's name")
    sign.add_argument("--cap", action="append", help="a capability contract id, e.g. wasmcloud:httpserver (repeat)")
    sign.add_argument("--tag", action="append", help="a tag (repeat)")
    sign.add_argument("--rev", type=int, help="revision number (live updates need a higher one)")
    sign.add_argument("--ver", help="human-readable version, e.g. 0.1.0")
    sign.add_argument("--call-alias", help="a name other actors may call this one by")
    sign.add_argument("--expires-in", type=parse_duration, help="validity, e.g. 30d")
    sign.add_argument("--not-before", type=parse_duration, help="delay before the claims become valid, e.g. 1h")
    sign.add_argument("-o", "--output", type=Path, help="output file (default: NAME_s.wasm beside the input)")
    sign.add_argument("--json", action="store_true", help="print JSON")
    sign.set_defaults(func=cmd_sign)
    inspect = cmds.add_parser("inspect", help="show a module's claims and whether signature, hash and times hold")
    inspect.add_argument("wasm", type=Path)
    inspect.add_argument("--json", action="store_true", help="print JSON")
    inspect.set_defaults(func=cmd_inspect)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from exc


def cmd_sign(args: argparse.Namespace) -> int:
    module = _read(args.wasm)
    issuer = load_key(args.issuer, keys.KeyType.ACCOUNT, "--issuer")
    subject = load_key(args.subject, keys.KeyType.MODULE, "--subject") if args.subject else None
    new_key_file = None
    if subject is None:
        subject = keys.KeyPair.create(keys.KeyType.MODULE)
        new_key_file = keys_dir() / f"{re.sub(r'[^A-Za-z0-9_-]+', '_', args.name.lower())}_module.nk"
        if new_key_file.exists():
            raise CliError(f"{new_key_file} already exists: pass it as --subject, or choose another --name")
    spec = claims.ActorSpec(
        name=args.name,
        caps=_split(args.cap),
        tags=_split(args.tag),
        rev=args.rev,
        ver=args.ver,
        call_alias=args.call_alias,
        expires_in_s=args.expires_in,
        not_before_in_s=args.not_before,
    )
    try:
        signed, made = claims.sign_module(module, spec, issuer, subject)
    except claims.ClaimsError as exc:
        raise CliError(f"cannot sign {args.wasm}: {exc}") from exc
    out = args.output or args.wasm.with_name(f"{args.wasm.stem}_s.wasm")
    try:
        out.write_bytes(signed)
    except OSError as exc:
        raise CliError(f"cannot write {out}: {exc.strerror or exc}") from exc
    if new_key_file is not None:  # saved only once the signed module is written
        output.progress(f"new module key saved to {write_seed(new_key_file, subject)}")
    if args.json:
        output.emit_json({"output": str(out), "public_key": made.subject, "hash": made.metadata.hash})
    else:
        print(f"signed {out} as {made.subject} (hash {made.metadata.hash[:16]}…)")
    return output.EXIT_OK


def _check(fn: Any) -> str:
    try:
        fn()
    except claims.ClaimsError as exc:
        return str(exc)
    return "ok"


def cmd_inspect(args: argparse.Namespace) -> int:
    module = _read(args.wasm)
    try:
        token = wasm.find_token(module)
    except claims.ClaimsError as exc:
        raise CliError(f"{args.wasm}: {exc}") from exc
    if token is None:
        raise CliError(f"{args.wasm} is not signed: sign it with `lattice claims sign`")
    try:
        found = claims.read_claims(module, verify=False)
    except claims.ClaimsError as exc:
        raise CliError(f"{args.wasm}: {exc}") from exc
    checks = {
        "signature": _check(lambda: jwt.verify_signature(jwt.parse(token))),
        "hash": _check(lambda: claims.check_hash(module, found)),
        "times": _check(lambda: jwt.check_times(found)),
    }
    meta = found.metadata
    if args.json:
        output.emit_json({"claims": found.to_json(), "checks": checks, "valid": set(checks.values()) == {"ok"}})
    else:
        output.fields(
            {
                "Account": found.issuer,
                "Module": found.subject,
                "Name": meta.name or "",
                "Capabilities": ", ".join(meta.capabilities) or "(none)",
                "Tags": ", ".join(meta.tags or ()) or "(none)",
                "Version": f"{meta.ver or '-'} (rev {meta.rev if meta.rev is not None else '-'})",
                "Call alias": meta.call_alias or "(none)",
                "Issued": _when(found.issued_at),
                "Expires": _when(found.expires) if found.expires else "never",
                "Not before": _when(found.not_before) if found.not_before else "immediately",
                "Hash": meta.hash,
                **{f"Check {k}": v for k, v in checks.items()},
            }
        )
    failed = {name: result for name, result in checks.items() if result != "ok"}
    if failed:  # the report above stays on stdout; the verdict is one line on stderr and a failing exit
        raise CliError(f"{args.wasm}: " + "; ".join(f"{name}: {result}" for name, result in failed.items()))
    return output.EXIT_OK


def _when(ts: int | None) -> str:
    return "-" if ts is None else time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts))
