"""Entry point of the ``lattice`` command: build the parser from each command module, run, map errors to exits.

The commands of this package are listed below. Commands that need more than a lattice client — ``lattice host``,
``lattice up``/``down``, which run a host — come from other installed packages through the entry-point group
:data:`COMMAND_GROUP` (see ``pyproject.toml``): each entry names a ``register(subparsers)`` function. So ``lattice``
never imports ``host``; a command package that fails to load is named on stderr and left out.

Usage errors name the command they belong to (``lattice ctl get hosts: error: unrecognized arguments: --bogus``,
with that command's usage) and exit 2; ``-v/--verbose`` works before or after the command.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
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
VERBOSE_HELP = "log debug output to stderr"

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


def _subparsers(parser: argparse.ArgumentParser) -> Iterator[argparse._SubParsersAction[argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield action


def _walk(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    for action in _subparsers(parser):
        for child in dict.fromkeys(action.choices.values()):
            yield child
            yield from _walk(child)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lattice",
        allow_abbrev=False,
        description="Run and steer a wasmCloud-compatible lattice of WebAssembly actors.",
    )
    parser.add_argument("--version", action="version", version=f"lattice {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")  # checked in parse(), after unknown flags
    for module in COMMAND_MODULES:
        module.register(sub)
    for _name, register in plugin_commands():
        register(sub)
    for child in _walk(parser):  # -v after the command too; SUPPRESS keeps a leading -v from being reset
        if "-v" not in child._option_string_actions:
            child.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP)
    return parser


def _leaf(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The (sub)command parser the arguments reached, so its usage goes with its error."""
    for action in _subparsers(parser):
        chosen = getattr(args, action.dest, None)
        if chosen in action.choices:
            return _leaf(action.choices[chosen], args)
    return parser


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        _leaf(parser, args).error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command is None:
        parser.error("a COMMAND is required (see `lattice --help`)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    verbose = getattr(args, "verbose", False)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
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
