"""Printing for the CLI: tables for people, JSON for scripts, one-line errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from lattice.errors import LatticeError


class CliError(LatticeError):
    """A failure to report as one line on stderr with a meaningful exit code."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_TIMEOUT = 4
EXIT_INTERRUPTED = 130


def emit_json(value: Any, out: TextIO | None = None) -> None:
    print(json.dumps(value, indent=2, sort_keys=False, default=str), file=out or sys.stdout)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO | None = None) -> None:
    """A plain aligned table; empty tables print the headers and ``(none)``."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    stream = out or sys.stdout
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip(), file=stream)
        if n == 0:
            print("  ".join("-" * w for w in widths), file=stream)
    if len(cells) == 1:
        print("(none)", file=stream)


def fields(pairs: Mapping[str, Any], out: TextIO | None = None) -> None:
    """``key: value`` lines, keys aligned."""
    width = max((len(k) for k in pairs), default=0)
    for key, value in pairs.items():
        print(f"{key.rjust(width)}: {value}", file=out or sys.stdout)


def progress(message: str) -> None:
    """A progress line for long waits (stderr, so stdout stays clean for --json)."""
    print(message, file=sys.stderr, flush=True)
