"""What a row module of ``bench/table.py`` returns, and how it hands it over.

A row module (``bench/rows/NAME.py``, run as a script by the table) measures one or more rows of the table and ends
with ``emit(rows)``: with ``--json`` (how the table runs it) one JSON line of rows on stdout, else a readable list.
A row names its key in ``bench/table.py``'s ``TABLE``, a value in the unit the table declares for it (None: the
feature is not there yet, printed as "—") and a detail line with the baseline it was measured against.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))  # the row modules reuse the standalone scripts in bench/


@dataclass(frozen=True)
class Row:
    key: str
    value: float | None
    detail: str = ""


def parser(description: str) -> argparse.ArgumentParser:
    """The arguments every row module takes: ``--json`` (machine output) and ``--quick`` (shorter runs)."""
    out = argparse.ArgumentParser(description=description)
    out.add_argument("--json", action="store_true", help="print the rows as one JSON line (how bench/table.py runs it)")
    out.add_argument("--quick", action="store_true", help="fewer calls: a smoke run, not a measurement")
    return out


def emit(rows: list[Row], as_json: bool) -> None:
    if as_json:
        print(json.dumps([asdict(row) for row in rows]), flush=True)
        return
    for row in rows:
        value = "—" if row.value is None else f"{row.value:.3g}"
        print(f"{row.key:<16} {value:>10}  {row.detail}")
