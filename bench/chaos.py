"""Chaos: the example app on two hosts and a 3-node NATS cluster under load, while a host, a provider or a NATS node
is SIGKILLed every 10–20 s and brought back as a supervisor would; figures at the end.

The lattice: three routed JetStream nats-servers from the wheel (random ports), two ``python -m host`` processes,
actors-examples/app.yaml deployed as a manifest (every actor on both hosts; httpserver once, keyvalue twice,
messaging once — started by the hosts' reconciler as real processes), the lattice bucket, the apps bucket and
kvcounter's bucket replicated three times. The load (``--rate`` requests/s): HTTP to echo, kvcounter (every
acknowledged count recorded) and pinger, and signed lattice RPC to ponger, from clients that know every NATS node.

Reports: acknowledged writes lost (goal 0) and applied without an acknowledgement, requests answered within 2 s
outside kill windows (goal ≥ 99%; the window's definition is printed), recovery time per fault kind (p50/max), and
whether the lattice ends as declared (every app component at its count, links intact, streams whole, no orphaned
provider). Exit status 1 when a goal is missed.

Run: ``.venv/bin/python bench/chaos.py [--minutes 5 | --seconds 60] [--seed N] [--rate 60] [--json]``
(``make chaos``, ``make chaos CHAOS_MINUTES=10``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the chaos driver lives in tests/support/chaos

from tests.support.chaos.faults import FaultPlan
from tests.support.chaos.report import print_table
from tests.support.chaos.run import DEFAULT_KV_KEYS, DEFAULT_RATE, DEFAULT_WORKERS, ChaosConfig, run_chaos

DEFAULT_MINUTES = 5.0
CLEARED_ENV_PREFIXES = ("WASMCLOUD_", "WASMLATTICE_", "HOST_")


def parse_args(argv: list[str] | None = None) -> tuple[ChaosConfig, bool]:
    parser = argparse.ArgumentParser(description=" ".join((__doc__ or "").split("\n\n")[0].split()))
    span = parser.add_mutually_exclusive_group()
    span.add_argument("--minutes", type=float, help=f"run length (default {DEFAULT_MINUTES:g})")
    span.add_argument("--seconds", type=float, help="run length in seconds")
    parser.add_argument("--seed", type=int, help="seed of the fault schedule (default: random, printed)")
    parser.add_argument("--rate", type=float, default=DEFAULT_RATE, help="requests/s in all (⅓ echo, ⅓ kvcounter, "
                        "⅙ pinger, ⅙ ponger RPC)")  # fmt: skip
    parser.add_argument("--kv-keys", type=int, default=DEFAULT_KV_KEYS, help="kvcounter paths (keys) in use")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="paced loops per request kind")
    parser.add_argument("--interval", type=float, nargs=2, default=(10.0, 20.0), metavar=("MIN", "MAX"),
                        help="seconds between kills (uniform)")  # fmt: skip
    parser.add_argument("--restart-delay", type=float, default=2.0, help="seconds before a killed host or node "
                        "is restarted")  # fmt: skip
    parser.add_argument("--max-recovery", type=float, default=120.0, help="seconds a fault may take to recover")
    parser.add_argument("--work-dir", type=Path, help="keep every process's log and store here")
    parser.add_argument("--verbose", action="store_true", help="print what each recovery is waiting on")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON instead of the table")
    args = parser.parse_args(argv)
    seconds = args.seconds if args.seconds is not None else 60.0 * (args.minutes or DEFAULT_MINUTES)
    low, high = args.interval
    if seconds <= 0 or args.rate <= 0 or args.kv_keys < 1 or args.workers < 1 or not 0 < low <= high:
        parser.error("the run length, rate, keys, workers and intervals must be positive (MIN ≤ MAX)")
    plan = FaultPlan(low, high, args.restart_delay, args.max_recovery)
    config = ChaosConfig(seconds=seconds, rate=args.rate, kv_keys=args.kv_keys, workers=args.workers, plan=plan,
                         work_dir=args.work_dir, verbose=args.verbose)  # fmt: skip
    if args.seed is not None:
        config = replace(config, seed=args.seed)
    return config, args.json


def main() -> int:
    config, as_json = parse_args()
    for name in [n for n in os.environ if n.startswith(CLEARED_ENV_PREFIXES)]:
        del os.environ[name]  # the hosts take their settings from the run, not from the caller's shell

    def log(line: str) -> None:
        print(line, file=sys.stderr if as_json else sys.stdout, flush=True)

    # The driver's own NATS client says when it fails over to another node; label it as the driver's.
    logging.basicConfig(level=logging.WARNING, format="          (driver's NATS client) %(message)s")

    summary = asyncio.run(run_chaos(config, log))
    if as_json:
        print(json.dumps(summary, indent=1))
    else:
        print_table(summary)
    return 0 if summary["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
