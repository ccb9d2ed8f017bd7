"""The chaos run's figures: kill windows, requests answered within 2 s outside them, recovery time per fault kind,
acknowledged writes lost or applied without an acknowledgement, the final state — as a dict (the ``--json``
summary), a table, and the goals met or missed.

**Kill window** of a fault: from 2 s before the SIGKILL (a request answered within 2 s that started earlier
ended before the kill) until 2 s after the lattice was observed recovered (see tests/support/chaos/faults.py for
"recovered"; the grace covers requests already in flight on a path that was just restored). Overlapping windows
merge. A request is *inside* when it started inside a window; a fault that never recovered keeps its window open
to the end of the run.

**Writes** (kvcounter, per key): the stored count N is the number of increments applied (each adds 1).
``lost`` = acknowledged counts above N (the store went back) + acknowledged counts given twice (two increments
landed on one value); ``applied_unacknowledged`` (the issue's "duplicated") = N minus the distinct acknowledged
counts — requests that failed for the client but whose increment still landed; ``phantom`` = applied increments
beyond every request sent (must be 0: nothing retries an increment).
"""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

from tests.support.chaos.faults import ANSWER_BOUND_S, FAULT_KINDS, Fault
from tests.support.chaos.load import KINDS, Ledger, Outcome

WINDOW_BEFORE_S = ANSWER_BOUND_S
WINDOW_GRACE_S = 2.0
GOAL_ANSWERED = 0.99
UNCLEAN_SAMPLES = 10
WINDOW_DEFINITION = (
    f"from {WINDOW_BEFORE_S:g} s before each SIGKILL until {WINDOW_GRACE_S:g} s after the lattice is observed "
    "recovered (the killed part back, the app as declared, one request of each kind answered within 2 s); "
    "a request is inside when it started inside a window"
)


def kill_windows(faults: list[Fault], end: float) -> list[tuple[float, float]]:
    spans = sorted(
        (f.killed_at - WINDOW_BEFORE_S, (f.recovered_at if f.recovered_at is not None else end) + WINDOW_GRACE_S)
        for f in faults
    )
    merged: list[tuple[float, float]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _inside(t: float, windows: list[tuple[float, float]]) -> bool:
    return any(lo <= t <= hi for lo, hi in windows)


def request_figures(outcomes: list[Outcome], windows: list[tuple[float, float]]) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for kind in (*KINDS, "all"):
        mine = [o for o in outcomes if kind in ("all", o.kind)]
        outside = [o for o in mine if not _inside(o.start, windows)]
        answered = sum(1 for o in outside if o.ok and o.seconds <= ANSWER_BOUND_S)
        rows[kind] = {
            "total": len(mine),
            "ok": sum(o.ok for o in mine),
            "clean_errors": sum(not o.ok and o.clean for o in mine),
            "not_clean": sum(not o.clean for o in mine),
            "inside_windows": len(mine) - len(outside),
            "outside_windows": len(outside),
            "outside_answered_2s": answered,
            "outside_answered_pct": round(100.0 * answered / len(outside), 3) if outside else None,
        }
    return rows


def recovery_figures(faults: list[Fault]) -> dict[str, Any]:
    rows = {}
    for kind in FAULT_KINDS:
        mine = [f for f in faults if f.kind == kind]
        times = [f.recovery_s for f in mine if f.recovery_s is not None]
        rows[kind] = {
            "faults": len(mine),
            "recovered": len(times),
            "p50_s": round(statistics.median(times), 2) if times else None,
            "max_s": round(max(times), 2) if times else None,
        }
    return rows


def write_figures(ledger: Ledger, finals: dict[str, int]) -> dict[str, Any]:
    total = Counter[str]()
    keys = {}
    for path, attempts in sorted(ledger.attempts.items()):
        acked, final = ledger.acked.get(path, []), finals[path]
        distinct = set(acked)
        row = {
            "attempts": attempts,
            "acknowledged": len(acked),
            "stored": final,
            "lost": sum(1 for v in acked if v > final) + len(acked) - len(distinct),
            "applied_unacknowledged": final - len({v for v in distinct if v <= final}),
            "phantom": max(0, final - attempts),
        }
        keys[path] = row
        total.update({k: v for k, v in row.items()})
    return {"total": dict(total), "keys": keys}


def summarize(
    settings: dict[str, Any],
    outcomes: list[Outcome],
    faults: list[Fault],
    ledger: Ledger,
    finals: dict[str, int],
    final_state: dict[str, Any],
    span: tuple[float, float],
) -> dict[str, Any]:
    t0, end = span
    windows = kill_windows(faults, end)
    requests = request_figures(outcomes, windows)
    writes = write_figures(ledger, finals)
    unclean = [f"{o.kind} at t={o.start - t0:.1f}s: {o.error}" for o in outcomes if not o.clean]
    slow_outside = [
        f"{o.kind} at t={o.start - t0:.1f}s after {o.seconds:.2f}s: {o.error or 'ok, late'}"
        for o in outcomes
        if not _inside(o.start, windows) and not (o.ok and o.seconds <= ANSWER_BOUND_S)
    ]
    pct = requests["all"]["outside_answered_pct"]
    goals = {
        "no_acknowledged_write_lost": writes["total"].get("lost", 0) == 0,
        "no_phantom_write": writes["total"].get("phantom", 0) == 0,
        "answered_within_2s_outside_windows_ge_99pct": pct is not None and pct >= 100 * GOAL_ANSWERED,
        "every_request_answered_or_clean_error": not unclean,
        "every_fault_recovered": all(f.recovered_at is not None for f in faults),
        "final_state_consistent": not final_state["problems"],
    }
    return {
        "settings": settings,
        "duration_s": round(end - t0, 1),
        "kill_windows": {
            "definition": WINDOW_DEFINITION,
            "count": len(windows),
            "seconds": round(sum(min(hi, end) - max(lo, t0) for lo, hi in windows), 1),
        },
        "requests": requests,
        "not_clean_samples": unclean[:UNCLEAN_SAMPLES],
        "outside_windows_not_answered_samples": slow_outside[:UNCLEAN_SAMPLES],
        "faults": [_fault_row(f, t0) for f in faults],
        "recovery": recovery_figures(faults),
        "writes": writes,
        "final_state": final_state,
        "goals": goals,
        "passed": all(goals.values()),
    }


def _fault_row(f: Fault, t0: float) -> dict[str, Any]:
    row = {
        "kind": f.kind,
        "target": f.target,
        "pid": f.pid,
        "at_s": round(f.killed_at - t0, 1),
        "recovery_s": None if f.recovery_s is None else round(f.recovery_s, 2),
        "restarts": f.restarts,
    }
    return row if f.recovered_at is not None else row | {"waiting_on": f.waiting_on}


def _fmt(value: Any, suffix: str = "") -> str:
    return "—" if value is None else f"{value}{suffix}"


def print_table(summary: dict[str, Any]) -> None:
    s = summary["settings"]
    print(f"\nchaos run: {summary['duration_s']} s, seed {s['seed']}, {len(summary['faults'])} faults, "
          f"kill windows {summary['kill_windows']['seconds']} s in {summary['kill_windows']['count']}")  # fmt: skip
    print(f"kill window: {summary['kill_windows']['definition']}\n")
    print(f"{'requests':12s} {'total':>7s} {'ok':>7s} {'clean err':>9s} {'not clean':>9s} {'inside':>7s} "
          f"{'outside':>7s} {'≤2s outside':>12s}")  # fmt: skip
    for kind, r in summary["requests"].items():
        pct = _fmt(r["outside_answered_pct"], "%")
        print(f"{kind:12s} {r['total']:7d} {r['ok']:7d} {r['clean_errors']:9d} {r['not_clean']:9d} "
              f"{r['inside_windows']:7d} {r['outside_windows']:7d} {pct:>12s}")  # fmt: skip
    print(f"\n{'fault kind':12s} {'faults':>7s} {'recovered':>9s} {'p50':>8s} {'max':>8s}")
    for kind, r in summary["recovery"].items():
        print(
            f"{kind:12s} {r['faults']:7d} {r['recovered']:9d} {_fmt(r['p50_s'], ' s'):>8s} {_fmt(r['max_s'], ' s'):>8s}"
        )
    w = summary["writes"]["total"]
    print(f"\nkvcounter writes: {w.get('attempts', 0)} sent, {w.get('acknowledged', 0)} acknowledged, "
          f"{w.get('stored', 0)} stored; lost {w.get('lost', 0)}, applied but not acknowledged "
          f"{w.get('applied_unacknowledged', 0)}, phantom {w.get('phantom', 0)}")  # fmt: skip
    state = summary["final_state"]
    print(f"final state: {'consistent' if not state['problems'] else 'NOT consistent'}; "
          f"{'; '.join(state['components'])}; links {state['links']}")  # fmt: skip
    for problem in state["problems"]:
        print(f"  problem: {problem}")
    for sample in summary["not_clean_samples"]:
        print(f"  not clean: {sample}")
    for sample in summary["outside_windows_not_answered_samples"]:
        print(f"  outside the windows, not answered within 2 s: {sample}")
    print()
    for goal, met in summary["goals"].items():
        print(f"  {'met   ' if met else 'MISSED'} {goal.replace('_', ' ')}")
    print("\nCHAOS PASSED" if summary["passed"] else "\nCHAOS FAILED")
