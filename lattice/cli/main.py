"""Entry point of the ``lattice`` command: build the parser from each command module, run, map errors to exits."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from lattice import __version__
from lattice.cli import (
    app_cmd,
    call_cmd,
    claims_cmd,
    ctl_cmd,
    dashboard_cmd,
    events_cmd,
    host_cmd,
    keys_cmd,
    output,
    up_cmd,
)
from lattice.cli.output import CliError
from lattice.errors import LatticeError

COMMAND_MODULES = [keys_cmd, claims_cmd, up_cmd, host_cmd, ctl_cmd, call_cmd, events_cmd, app_cmd, dashboard_cmd]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lattice",
        allow_abbrev=False,
        description="Run and steer a wasmCloud-compatible lattice of WebAssembly actors.",
    )
    parser.add_argument("--version", action="version", version=f"lattice {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug output to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        code: int = args.func(args)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except LatticeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return output.EXIT_FAILURE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return output.EXIT_INTERRUPTED
    return code


if __name__ == "__main__":
    sys.exit(main())
