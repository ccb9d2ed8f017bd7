"""Live fuzz: generated garbage at a whole running lattice; every request must be answered and nothing may crash.

Starts a nats-server, a host process with the six example actors and the httpserver, keyvalue and messaging
providers (launched through the control interface, linked as in actors-examples/app.yaml; tests/support/rig.py), then
sends up to ``--count`` probes for at most ``--seconds`` (tests/fuzz/probes.py): random bytes, msgpack with the
protocol's keys but wrong types, mutated signed invocations (flipped bytes, swapped/dropped fields, huge lengths),
correctly signed invocations with garbage payloads for every KeyValue.*, Messaging.* and HttpServer operation,
garbage JSON on every control subject, garbage on the providers' rpc/linkdefs/health/shutdown subjects, and
garbage HTTP to the httpserver listeners. A few correct invocations are mixed in and must succeed.

Checks: every NATS request gets a reply of the promised kind within ``--timeout``; every HTTP probe gets an answer
or a clean close; no process exits or restarts; afterwards each actor, provider and the control interface still
serve a correct request. The baseline ratio: probe throughput against plain ``ping.hosts`` requests measured on the
same lattice just before. Exit status 1 on any failure.

Run: ``.venv/bin/python bench/fuzz_lattice.py [--count 100000] [--seconds 900] [--seed N] [--concurrency 64]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the probes live in tests/fuzz, the rig in tests/support

from lattice import subjects
from lattice.subjects import CtlOp
from tests.fuzz.checks import log_findings, still_serving, targets_of
from tests.fuzz.runner import DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT_S, FuzzRun, FuzzStats
from tests.support.rig import ExampleLattice, RigConfig

DEFAULT_COUNT = 10_000  # `make bench` runs this; the 100,000-message run is `--count 100000`
DEFAULT_SECONDS = 900.0
BASELINE_SECONDS = 2.0


async def baseline_rate(rig: ExampleLattice, concurrency: int) -> float:
    """Plain ``ping.hosts`` requests per second on the same lattice: what the transport alone sustains."""
    subject = subjects.ctl(rig.lattice, CtlOp.PING_HOSTS)
    done = 0
    until = time.monotonic() + BASELINE_SECONDS

    async def loop() -> None:
        nonlocal done
        while time.monotonic() < until:
            await rig.nc.request(subject, b"", timeout=DEFAULT_TIMEOUT_S)
            done += 1

    start = time.monotonic()
    await asyncio.gather(*(loop() for _ in range(concurrency)))
    return done / (time.monotonic() - start)


def print_stats(stats: FuzzStats) -> None:
    rate = stats.sent / max(stats.seconds, 1e-9)
    print(f"\nsent {stats.sent} probes in {stats.seconds:.1f}s ({rate:.0f}/s)")
    print(f"  NATS requests {stats.requests}, replies {stats.replies}; publishes {stats.publishes}")
    print(f"  HTTP probes {stats.http}, answered {stats.http_answered}; statuses {dict(stats.http_status)}")
    print(f"  failures {stats.failed} {dict(stats.failures)}")
    print(f"  internal-error replies {sum(stats.internal.values())} {dict(stats.internal)}")
    print("    family                              sent  answered with an error/refusal")
    for family, n in sorted(stats.families.items()):
        print(f"    {family:32s} {n:7d}  {stats.refused.get(family, 0):7d}")
    for sample in stats.samples:
        print(f"  {sample}")


async def main(args: argparse.Namespace) -> int:
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    print(f"starting the example lattice; seed {seed}", flush=True)
    async with ExampleLattice(RigConfig(work_dir=args.work_dir)) as rig:
        pids = rig.processes()
        print(f"serving; processes {pids}", flush=True)
        baseline = await baseline_rate(rig, args.concurrency)
        run = FuzzRun(rig.nc, targets_of(rig), seed, concurrency=args.concurrency, timeout_s=args.timeout)
        stats = await run.run(args.count, args.seconds, progress_every=args.progress)
        problems = await still_serving(rig, pids)
        tracebacks = log_findings(rig)
    print_stats(stats)
    rate = stats.sent / max(stats.seconds, 1e-9)
    print(f"baseline ping.hosts requests: {baseline:.0f}/s; ratio fuzz probes / baseline: {rate / baseline:.2f}")
    print(f"tracebacks in the host/provider log: {len(tracebacks)}")
    for line in tracebacks[:10]:
        print(f"  {line}")
    for problem in problems:
        print(f"  AFTER THE RUN: {problem}")
    if args.json is not None:
        result = {"seed": seed, **stats.as_json(), "baseline_per_s": round(baseline), "after": problems,
                  "tracebacks": tracebacks}  # fmt: skip
        await asyncio.to_thread(args.json.write_text, json.dumps(result, indent=1))
    failed = bool(stats.failed or problems or stats.requests != stats.replies + stats.failed)
    print("FUZZ FAILED" if failed else "fuzz passed: every request answered, nothing crashed, all still serving")
    return 1 if failed else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help=f"most probes (default {DEFAULT_COUNT})")
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS, help="most seconds of sending")
    parser.add_argument("--seed", type=int, help="random seed (default: random, printed)")
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="probes in flight")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds a reply may take")
    parser.add_argument("--progress", type=int, default=10_000, help="print progress every N probes (0: never)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--work-dir", type=Path, help="keep NATS data and host.log here (default: a temp dir)")
    args = parser.parse_args(argv)
    if args.count < 1 or args.seconds <= 0 or args.concurrency < 1 or args.timeout <= 0:
        parser.error("count, seconds, concurrency and timeout must be positive")
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
