"""``make bench``: one table of issue 11's measures, each against its baseline measured in the same run.

Every ``bench/rows/*.py`` (not starting with ``_``) is a row module: the table runs it as a script with ``--json``
(each in its own process, one after another, so they do not share threads, caches or CPU) and collects the rows it
returns (``bench/rows/_row.py``). Rows are keyed: :data:`TABLE` fixes their order, wording, unit and goal, so a new
module only has to return rows under keys listed here; a row nobody returns, or returns without a value, prints "—".

With ``--repeat N`` every module runs N times and each row shows the median, with the range of the N runs.

Run: ``.venv/bin/python bench/table.py [--repeat N] [--only NAME ...] [--quick]``
"""

from __future__ import annotations

import argparse
import json
import operator
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROWS_DIR = Path(__file__).resolve().parent / "rows"
MODULE_TIMEOUT_S = 240.0


@dataclass(frozen=True)
class Spec:
    key: str
    measure: str
    unit: str
    goal: str
    meets: Callable[[float], bool] | None = None


def _at_most(limit: float) -> Callable[[float], bool]:
    return lambda value: operator.le(value, limit)


def _at_least(limit: float) -> Callable[[float], bool]:
    return lambda value: operator.ge(value, limit)


TABLE: tuple[Spec, ...] = (
    Spec("await_sync", "`await` actor call / sync fast path (16 B echo)", "×", "≤ 2×", _at_most(2.0)),
    Spec("http_inprocess", "HTTP in-process provider → actor / bare aiohttp hello", "×", "≥ 0.6×", _at_least(0.6)),
    Spec("http_process", "HTTP provider process → actor / bare aiohttp hello", "×", "≥ 0.35×", _at_least(0.35)),
    Spec("lattice_seq", "lattice RPC sequential / raw nats-py", "×", "≤ 1.8×", _at_most(1.8)),
    Spec("lattice_64", "lattice RPC, 64 in flight, one host process / raw", "×", "≥ 0.25×", _at_least(0.25)),
    Spec("all_cores", "same, all cores / one process", "×", "≥ 1.6× on 2 cores", _at_least(1.6)),
    Spec("host_cpu", "host CPU per lattice call, anti-forgery on", "µs", "≤ 130 µs", _at_most(130.0)),
    Spec("local_actor", "local actor→actor call / in-host actor call", "×", "≤ 3×", _at_most(3.0)),
    Spec("cold_start", "actor cold start from the module cache", "ms", "< 5 ms each", _at_most(5.0)),
    Spec("actors_100", "100 actors started", "s", "< 1 s", _at_most(1.0)),
    Spec("rss_actor", "RSS per idle actor on a host", "KiB", "(reported)"),
    Spec("rss_instance", "RSS per idle actor instance (runtime)", "KiB", "(reported)"),
)


def row_modules(only: list[str] | None) -> list[Path]:
    found = sorted(p for p in ROWS_DIR.glob("*.py") if not p.name.startswith("_"))
    return [p for p in found if not only or p.stem in only]


def run_module(path: Path, quick: bool) -> tuple[list[dict[str, object]], str | None]:
    """The rows a module printed, or an error line when it failed."""
    argv = [sys.executable, str(path), "--json", *(["--quick"] if quick else [])]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=MODULE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return [], f"{path.stem}: no result within {MODULE_TIMEOUT_S:.0f}s"
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return [], f"{path.stem}: exit {done.returncode}: {tail}"
    rows: list[dict[str, object]] = json.loads(lines[-1])
    return rows, None


def _value_text(values: list[float], unit: str) -> str:
    mid = statistics.median(values)
    digits = 2 if unit == "×" or mid < 10 else 0
    text = f"{mid:.{digits}f}{'' if unit == '×' else ' '}{unit}"
    if len(values) > 1:
        text += f" ({min(values):.{digits}f}–{max(values):.{digits}f})"
    return text


def render(results: dict[str, list[dict[str, object]]]) -> list[str]:
    out = []
    width = max(len(spec.measure) for spec in TABLE)
    out.append(f"{'measure':<{width}}  {'value':<22} {'goal':<18} met  detail (last run)")
    known = {spec.key for spec in TABLE}
    extra = [Spec(key, key, "", "") for key in results if key not in known]
    for spec in (*TABLE, *extra):
        rows = results.get(spec.key, [])
        values = [float(v) for row in rows if isinstance(v := row.get("value"), int | float)]
        detail = str(rows[-1].get("detail", "")) if rows else ""
        if not values:
            out.append(f"{spec.measure:<{width}}  {'—':<22} {spec.goal:<18} {'':<4} {detail}")
            continue
        met = "" if spec.meets is None else ("yes" if spec.meets(statistics.median(values)) else "NO")
        out.append(f"{spec.measure:<{width}}  {_value_text(values, spec.unit):<22} {spec.goal:<18} {met:<4} {detail}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="run every module N times; show median and range")
    parser.add_argument("--only", nargs="*", metavar="NAME", help="only these row modules (file names without .py)")
    parser.add_argument("--quick", action="store_true", help="smoke run with few calls (numbers are not meaningful)")
    options = parser.parse_args()
    started = time.monotonic()
    results: dict[str, list[dict[str, object]]] = {}
    failures: list[str] = []
    for _ in range(max(1, options.repeat)):
        for path in row_modules(options.only):
            print(f"… {path.stem}", file=sys.stderr, flush=True)
            rows, error = run_module(path, options.quick)
            if error:
                failures.append(error)
            for row in rows:
                results.setdefault(str(row["key"]), []).append(row)
    print("\n".join(render(results)))
    print(f"({options.repeat} run(s), {time.monotonic() - started:.0f} s; values are medians, ranges in brackets)")
    for failure in failures:
        print(f"FAILED {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
