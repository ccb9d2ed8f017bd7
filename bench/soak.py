"""Soak: steady load on a whole example lattice for a bounded time; errors, latency and RSS per interval.

The lattice (tests/support/rig.py): a nats-server, a host process running the example actors, and the httpserver,
keyvalue and messaging providers it started through the control interface, linked as in actors-examples/app.yaml.
The load, paced at a fixed rate: HTTP GETs through the httpserver provider to ``echo`` (its JSON must describe the
request) and to ``kvcounter`` (a KeyValue.Increment per request on one of ``--kv-keys`` paths; each final count
must equal its successes), plus
direct signed RPC calls to ``ponger`` (``Pingpong.Ping`` must answer "pong from ponger").

Each interval prints requests, errors, p50/p90/p99 latency per kind, and VmRSS of the host and of each provider.
At the end: RSS growth of each process from the end of the warm-up to the end (goal < 10%), and the ratio of the
last interval's p50 latency to the first steady interval's (the baseline of the same run).
Exit status 1 on any error or a growth over ``--max-growth``.

Run: ``.venv/bin/python bench/soak.py [--minutes 10 | --seconds 60] [--rate 100] [--rpc-rate 20] [--interval 30]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import msgpack

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the rig lives beside the fuzz tests

from tests.support.rig import ExampleLattice, RigConfig, rss_kib

DEFAULT_MINUTES = 10.0
DEFAULT_RATE = 100.0
DEFAULT_RPC_RATE = 20.0
DEFAULT_WORKERS = 16
DEFAULT_KV_KEYS = 8
DEFAULT_INTERVAL_S = 30.0
DEFAULT_MAX_GROWTH_PCT = 10.0
WARMUP_FRACTION = 0.2
MAX_WARMUP_S = 60.0
REQUEST_TIMEOUT_S = 10.0
PONG = "pong from ponger"
KV_PATH = "/soak"
KINDS = ("http-echo", "http-kvcounter", "rpc-ponger")


@dataclass(frozen=True)
class SoakConfig:
    seconds: float
    rate: float = DEFAULT_RATE
    rpc_rate: float = DEFAULT_RPC_RATE
    workers: int = DEFAULT_WORKERS
    kv_keys: int = DEFAULT_KV_KEYS
    interval_s: float = DEFAULT_INTERVAL_S
    max_growth_pct: float = DEFAULT_MAX_GROWTH_PCT

    @property
    def warmup_s(self) -> float:
        return min(self.seconds * WARMUP_FRACTION, MAX_WARMUP_S)


@dataclass
class Tally:
    """One interval's results."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: list[str] = field(default_factory=list)

    def ok(self, kind: str, seconds: float) -> None:
        self.latencies[kind].append(seconds)

    def fail(self, kind: str, what: str) -> None:
        self.errors[kind] += 1
        if len(self.samples) < 5:
            self.samples.append(f"{kind}: {what}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class Soak:
    def __init__(self, rig: ExampleLattice, config: SoakConfig) -> None:
        self.rig = rig
        self.config = config
        self.tally = Tally()
        self.kv_ok: dict[str, int] = defaultdict(int)
        self.kv_unknown: dict[str, int] = defaultdict(int)  # failed requests: their increment may have happened
        self.steady: dict[str, list[float]] = defaultdict(list)
        self.total_errors = 0
        self.rows: list[dict[str, Any]] = []
        self._last_report = 0.0

    async def echo(self, http: aiohttp.ClientSession, n: int) -> None:
        path = f"/soak/{n}"
        async with http.get(self.rig.http_url("echo", f"{path}?n={n}")) as resp:
            body = await resp.read()
        if resp.status != 200:
            raise AssertionError(f"status {resp.status}: {body[:100]!r}")
        seen = json.loads(body)
        if seen.get("path") != path or seen.get("query") != f"n={n}" or seen.get("method") != "GET":
            raise AssertionError(f"echo described another request: {body[:100]!r}")

    async def kvcounter(self, http: aiohttp.ClientSession, n: int) -> None:
        path = f"{KV_PATH}/{n % self.config.kv_keys}"
        self.kv_unknown[path] += 1
        async with http.get(self.rig.http_url("kvcounter", path)) as resp:
            body = await resp.read()
        counter = json.loads(body).get("counter") if resp.status == 200 else None
        if not isinstance(counter, int) or counter < 1:
            raise AssertionError(f"status {resp.status}: {body[:100]!r}")
        self.kv_unknown[path] -= 1
        self.kv_ok[path] += 1

    async def ponger(self, http: aiohttp.ClientSession, n: int) -> None:
        reply = await self.rig.call_actor("ponger", "Pingpong.Ping", b"", timeout_ms=int(REQUEST_TIMEOUT_S * 1000))
        if msgpack.unpackb(reply) != PONG:
            raise AssertionError(f"ponger answered {reply[:60]!r}")

    async def paced(
        self, kind: str, call: Callable[[aiohttp.ClientSession, int], Awaitable[None]], rate: float, until: float
    ) -> None:
        """``workers`` loops, each paced at rate/workers; a call slower than its period delays only its loop."""
        workers = max(1, min(self.config.workers, int(rate)))
        period = workers / rate
        loop = asyncio.get_running_loop()
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=workers)) as http:

            async def worker(w: int) -> None:
                n, next_at = w, loop.time() + w * period / workers
                while next_at < until:
                    await asyncio.sleep(max(0.0, next_at - loop.time()))
                    start = time.perf_counter()
                    try:
                        await call(http, n)
                    except Exception as exc:
                        self.tally.fail(kind, f"{type(exc).__name__}: {exc}"[:200])
                    else:
                        self.tally.ok(kind, time.perf_counter() - start)
                    n += workers
                    next_at = max(next_at + period, loop.time())  # behind schedule: no catch-up burst

            await asyncio.gather(*(worker(w) for w in range(workers)))

    def rss(self) -> dict[str, int | None]:
        return {name: rss_kib(pid) for name, pid in self.rig.processes().items()}

    def report(self, elapsed: float, rss: dict[str, int | None]) -> None:
        tally, self.tally = self.tally, Tally()
        span, self._last_report = elapsed - self._last_report, elapsed
        row: dict[str, Any] = {"t_s": round(elapsed), "full": span >= 0.9 * self.config.interval_s, "rss_kib": rss}
        parts = [f"t={elapsed:6.0f}s"]
        for kind in KINDS:
            lat = tally.latencies.get(kind, [])
            if elapsed >= self.config.warmup_s - 0.5:
                self.steady[kind] += lat
            errors = tally.errors.get(kind, 0)
            self.total_errors += errors
            p50, p90, p99 = (percentile(lat, q) * 1000 for q in (0.5, 0.9, 0.99))
            row[kind] = {"ok": len(lat), "errors": errors, "p50_ms": p50, "p90_ms": p90, "p99_ms": p99}
            parts.append(f"{kind} {len(lat):5d} ok {errors:2d} err p50/p90/p99 {p50:5.1f}/{p90:5.1f}/{p99:6.1f} ms")
        mem = " ".join(f"{name.removeprefix('wasmcloud:')}={(v or 0) / 1024:.1f}M" for name, v in rss.items())
        print(" | ".join(parts) + f" | RSS {mem}", flush=True)
        for sample in tally.samples:
            print(f"    error: {sample}", flush=True)
        self.rows.append(row)

    async def run(self) -> dict[str, Any]:
        cfg = self.config
        loop = asyncio.get_running_loop()
        start = loop.time()
        until = start + cfg.seconds
        load = asyncio.gather(
            self.paced("http-echo", self.echo, cfg.rate / 2, until),
            self.paced("http-kvcounter", self.kvcounter, cfg.rate / 2, until),
            self.paced("rpc-ponger", self.ponger, cfg.rpc_rate, until),
        )
        warm_rss: dict[str, int | None] = {}
        next_report = start + min(cfg.interval_s, cfg.warmup_s)
        while not load.done():
            await asyncio.wait([load], timeout=max(0.0, next_report - loop.time()))
            now = loop.time()
            if now >= next_report or load.done():
                rss = self.rss()
                if not warm_rss and now - start >= cfg.warmup_s - 0.5:
                    warm_rss = rss
                self.report(now - start, rss)
                next_report += cfg.interval_s
        await load
        return self.summary(warm_rss, self.rss(), loop.time() - start)

    def summary(self, warm: dict[str, int | None], end: dict[str, int | None], elapsed: float) -> dict[str, Any]:
        growth = {name: 100.0 * ((end.get(name) or 0) - (warm.get(name) or 0)) / (warm.get(name) or 1) for name in warm}
        steady = [r for r in self.rows if r["t_s"] >= self.config.warmup_s - 0.5 and r["full"]]
        steady = steady or self.rows
        first, last = steady[0], steady[-1]
        ratios = {k: last[k]["p50_ms"] / first[k]["p50_ms"] for k in KINDS}
        overall = {k: {"ok": sum(r[k]["ok"] for r in self.rows), "errors": sum(r[k]["errors"] for r in self.rows),
                       **{f"p{q}_ms": percentile(self.steady[k], q / 100) * 1000 for q in (50, 90, 99)}}
                   for k in KINDS}  # fmt: skip
        return {"seconds": elapsed, "errors": self.total_errors, "totals": overall, "warm_rss_kib": warm,
                "end_rss_kib": end, "rss_growth_pct": growth, "p50_end_over_start": ratios,
                "intervals": self.rows}  # fmt: skip


async def check_counters(rig: ExampleLattice, soak: Soak) -> str | None:
    """Each stored count must equal its successful increments (plus at most the failed requests, whose increment
    may have landed after the HTTP timeout): one more request must read that + 1."""
    wrong = []
    async with aiohttp.ClientSession() as http:
        for path, ok in sorted(soak.kv_ok.items()):
            async with http.get(rig.http_url("kvcounter", path)) as resp:
                counter = json.loads(await resp.read()).get("counter")
            unknown = soak.kv_unknown[path]
            if not isinstance(counter, int) or not ok + 1 <= counter <= ok + 1 + unknown:
                wrong.append(f"{path} at {counter}, expected {ok + 1}" + (f" to {ok + 1 + unknown}" if unknown else ""))
    return "; ".join(wrong) or None


async def main(config: SoakConfig, json_out: Path | None) -> int:
    print(f"starting the example lattice (host + 3 providers + 6 actors) for a {config.seconds:g}s soak", flush=True)
    async with ExampleLattice(RigConfig()) as rig:
        print(f"serving; processes {rig.processes()}; warm-up {config.warmup_s:g}s", flush=True)
        soak = Soak(rig, config)
        result = await soak.run()
        problem = await check_counters(rig, soak)
        alive = rig.host_alive()
    growth: dict[str, float] = result["rss_growth_pct"]
    ratios: dict[str, float] = result["p50_end_over_start"]
    print(f"\nduration {result['seconds']:.0f}s, errors {result['errors']}, host alive to the end: {alive}")
    for kind, total in result["totals"].items():
        print(f"  {kind:15s} {total['ok']:7d} ok {total['errors']:4d} errors; after warm-up p50/p90/p99 "
              f"{total['p50_ms']:.1f}/{total['p90_ms']:.1f}/{total['p99_ms']:.1f} ms")  # fmt: skip
    for name, pct in growth.items():
        warm = result["warm_rss_kib"][name] or 0
        end = result["end_rss_kib"][name] or 0
        print(f"RSS {name:22s} {warm / 1024:7.1f} MiB after warm-up → {end / 1024:7.1f} MiB at end: {pct:+6.1f}%")
    for kind, ratio in ratios.items():
        print(f"ratio p50 latency, last / first full steady interval, {kind:15s}: {ratio:5.2f}")
    if problem:
        print(f"kvcounter check failed: {problem}")
    if json_out is not None:
        await asyncio.to_thread(json_out.write_text, json.dumps(result, indent=1, default=str))
    over = {n: g for n, g in growth.items() if g >= config.max_growth_pct}
    failed = bool(result["errors"]) or bool(over) or problem is not None or not alive
    print("SOAK FAILED" if failed else "soak passed: no errors, RSS growth under the limit")
    return 1 if failed else 0


def parse_args(argv: list[str] | None = None) -> tuple[SoakConfig, Path | None]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    span = parser.add_mutually_exclusive_group()
    span.add_argument("--minutes", type=float, help=f"run length (default {DEFAULT_MINUTES:g})")
    span.add_argument("--seconds", type=float, help="run length in seconds (quick checks)")
    parser.add_argument("--rate", type=float, default=DEFAULT_RATE, help="HTTP requests/s, half to each actor")
    parser.add_argument("--rpc-rate", type=float, default=DEFAULT_RPC_RATE, help="direct RPC calls/s to ponger")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="concurrent loops per kind")
    parser.add_argument("--kv-keys", type=int, default=DEFAULT_KV_KEYS, help="kvcounter paths (keys) in use")
    parser.add_argument("--interval", type=float, help=f"seconds per report line (default {DEFAULT_INTERVAL_S:g})")
    parser.add_argument("--max-growth", type=float, default=DEFAULT_MAX_GROWTH_PCT, help="RSS growth limit, %%")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    seconds = args.seconds if args.seconds is not None else 60.0 * (args.minutes or DEFAULT_MINUTES)
    interval = args.interval or min(DEFAULT_INTERVAL_S, max(5.0, seconds / 12))
    if seconds <= 0 or args.rate <= 0 or args.rpc_rate <= 0 or args.workers < 1 or args.kv_keys < 1 or interval <= 0:
        parser.error("durations, rates and workers must be positive")
    config = SoakConfig(seconds, args.rate, args.rpc_rate, args.workers, args.kv_keys, interval, args.max_growth)
    return config, args.json


if __name__ == "__main__":
    cfg, out = parse_args()
    sys.exit(asyncio.run(main(cfg, out)))
