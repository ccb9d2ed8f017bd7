"""Entry point of the ``lattice`` command: build the parser from each command module, run, map errors to exits.

The commands of this package are listed below. Commands that need more than a lattice client — ``lattice host``,
``lattice up``/``down``, which run a host — come from other installed packages through the entry-point group
:data:`COMMAND_GROUP` (see ``pyproject.toml``): each entry names a ``register(subparsers)`` function. So ``lattice``
never imports ``host``; a command package that fails to load is named on stderr and left out.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points

from lattice import __version__
from lattice.cli import (
    app_cmd,
    call_cmd,
    claims_cmd,
    ctl_cmd,
    dashboard_cmd,
    events_cmd,
    keys_cmd,
    output,
    par_cmd,
    registry_cmd,
)
from lattice.cli.output import CliError
from lattice.errors import LatticeError

COMMAND_MODULES = [keys_cmd, claims_cmd, ctl_cmd, call_cmd, events_cmd, app_cmd, par_cmd, registry_cmd, dashboard_cmd]
COMMAND_GROUP = "wasmlattice.cli"

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def plugin_commands() -> list[tuple[str, Register]]:
    """``(name, register)`` of every installed entry point of :data:`COMMAND_GROUP`, sorted by name."""
    found: list[tuple[str, Register]] = []
    for entry in sorted(entry_points(group=COMMAND_GROUP), key=lambda e: e.name):
        try:
            found.append((entry.name, entry.load()))
        except Exception as exc:  # a broken plugin must not take every other command down with it
            print(f"warning: cannot load the {entry.name!r} commands ({entry.value}): {exc}", file=sys.stderr)
    return found


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
    for _name, register in plugin_commands():
        register(sub)
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
