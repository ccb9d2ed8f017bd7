"""One chaos run, start to end: the lattice (tests/support/chaos/lattice.py), the load (load.py) and the faults
(faults.py) side by side for ``seconds``; then the final state and the stored counts; then the summary
(report.py). Used by ``bench/chaos.py`` (``make chaos``) and ``tests/faults/test_chaos.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import nats.js.errors
from wasmlattice_keyvalue.jetstream import encode_key

from tests.support.chaos.faults import FaultPlan, Injector, orphans, service_missing
from tests.support.chaos.lattice import ChaosLattice, LatticeConfig
from tests.support.chaos.load import Calls, Ledger, Load, Rates, http_session
from tests.support.chaos.report import summarize
from tests.support.waiting import WaitTimeout, wait_until

DEFAULT_SECONDS = 300.0
DEFAULT_RATE = 60.0
DEFAULT_KV_KEYS = 8
DEFAULT_WORKERS = 4
START_TIMEOUT_S = 180.0
SETTLE_TIMEOUT_S = 120.0
POLL_S = 0.5
COUNTER_PREFIX = "counter:"  # kvcounter's key for a path
READ_TIMEOUT_S = 10.0  # reads fail while the stream elects a leader
STEADY_ROUNDS = 5


@dataclass(frozen=True)
class ChaosConfig:
    seconds: float = DEFAULT_SECONDS
    seed: int = field(default_factory=lambda: random.SystemRandom().randrange(2**31))
    rate: float = DEFAULT_RATE
    kv_keys: int = DEFAULT_KV_KEYS
    workers: int = DEFAULT_WORKERS
    plan: FaultPlan = field(default_factory=FaultPlan)
    actor_replicas: int = 2
    keyvalue_replicas: int = 2
    reconcile_interval_s: float | None = None
    work_dir: Path | None = None  # kept when given (logs of every process); a removed temp dir otherwise
    verbose: bool = False  # log what each recovery waits on

    def settings(self) -> dict[str, Any]:
        out = asdict(self)
        out["work_dir"] = None if self.work_dir is None else str(self.work_dir)
        return out


async def run_chaos(config: ChaosConfig, log: Callable[[str], None]) -> dict[str, Any]:
    with contextlib.ExitStack() as stack:
        work = config.work_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wasmlattice-chaos-")))
        lattice = ChaosLattice(
            LatticeConfig(
                work_dir=work, actor_replicas=config.actor_replicas, keyvalue_replicas=config.keyvalue_replicas,
                reconcile_interval_s=config.reconcile_interval_s,
            )
        )  # fmt: skip
        try:
            return await _run(lattice, config, log)
        finally:
            await lattice.stop()
    raise AssertionError("unreachable")  # pragma: no cover (ExitStack does not swallow)


async def _run(lattice: ChaosLattice, config: ChaosConfig, log: Callable[[str], None]) -> dict[str, Any]:
    log(f"chaos seed {config.seed}: starting 3 NATS nodes, {len(lattice.hosts)} hosts, the example app "
        f"(lattice {lattice.lattice})")  # fmt: skip
    async with asyncio.timeout(START_TIMEOUT_S):
        await lattice.start()
    async with http_session() as http:
        ledger = Ledger()
        calls = Calls(lattice, http, ledger)
        ready_s = await _until_serving(lattice, calls)
        pids = {f"host {i}": h.pid for i, h in enumerate(lattice.hosts)}
        log(f"serving after {ready_s:.1f}s; hosts {pids}; NATS {lattice.cluster.urls}; "
            f"providers {lattice.provider_pids()}")  # fmt: skip
        rng = random.Random(config.seed)
        load = Load(calls, Rates.split(config.rate), config.kv_keys, config.workers)
        injector = Injector(lattice, calls, config.plan, rng, log)
        injector.verbose = config.verbose
        t0 = time.monotonic()
        await asyncio.gather(load.run(t0 + config.seconds), injector.run(t0, t0 + config.seconds))
        end = time.monotonic()
        log(f"load stopped after {end - t0:.0f}s; checking the final state")
        final_state = await final_state_of(lattice, calls, injector.orphan_watch)
        finals = await stored_counts(lattice, list(ledger.attempts))
    return summarize(config.settings(), load.outcomes, injector.faults, ledger, finals, final_state, (t0, end))


async def _until_serving(lattice: ChaosLattice, calls: Calls) -> float:
    """Until the app is as declared and :data:`STEADY_ROUNDS` probe rounds in a row answer: links reach each
    provider instance asynchronously, and the two keyvalue instances share the requests."""
    start = time.monotonic()
    missing: str | None = "not checked yet"
    steady = 0

    async def serving() -> bool:
        nonlocal missing, steady
        try:
            status = await lattice.app_status()
            missing = "app not ready" if not status.ready else await service_missing(calls)
        except Exception as exc:  # a control request failed: the lattice is still starting
            missing = f"{type(exc).__name__}: {exc}"
        steady = steady + 1 if missing is None else 0
        return steady == STEADY_ROUNDS

    try:
        await wait_until(serving, START_TIMEOUT_S, "the example app serving", poll_s=POLL_S)
    except WaitTimeout:
        tails = "\n".join(f"--- host {i}\n{h.log_tail()}" for i, h in enumerate(lattice.hosts))
        raise TimeoutError(f"the example app did not serve within {START_TIMEOUT_S:g}s ({missing})\n{tails}") from None
    return time.monotonic() - start


async def final_state_of(
    lattice: ChaosLattice, calls: Calls, orphan_watch: dict[tuple[int, str | None], str]
) -> dict[str, Any]:
    """Wait (bounded) until every host answers, the app is as declared with its links, every replicated stream
    is whole and one request of each kind answers; then report what is still wrong, and orphaned providers."""
    problems: list[str] = []
    components: list[str] = []
    links = "unknown"

    async def settled() -> bool:
        nonlocal problems, components, links
        problems = []
        try:
            answering = await lattice.host_ids_answering()
            problems += [f"host {i} does not answer" for i, h in enumerate(lattice.hosts) if h.host_id not in answering]
            status = await lattice.app_status()
            components = [f"{c.name} {c.running}/{c.wanted}" for c in status.components]
            links = f"{status.links_present}/{status.links_wanted}"
            if not status.ready:
                problems.append(f"app not as declared: {', '.join(components)}; links {links}; pending "
                                f"{list(status.pending)}")  # fmt: skip
            problems += await lattice.stream_problems()
            if not problems and (missing := await service_missing(calls)) is not None:
                problems.append(missing)
        except Exception as exc:
            problems.append(f"{type(exc).__name__}: {exc}")
        return not problems

    with contextlib.suppress(WaitTimeout):  # what is still wrong is the answer
        await wait_until(settled, SETTLE_TIMEOUT_S, "the final state", poll_s=POLL_S)
    return {"problems": problems + orphans(orphan_watch), "components": components, "links": links}


async def stored_counts(lattice: ChaosLattice, paths: list[str]) -> dict[str, int]:
    """Each kvcounter key's stored count, read from the bucket's stream leader (not a possibly lagging replica)."""
    js = lattice.nc.jetstream()
    stream, bucket = f"KV_{lattice.kv_bucket}", lattice.kv_bucket

    async def stored(path: str) -> tuple[int]:
        subject = f"$KV.{bucket}.{encode_key(COUNTER_PREFIX + path)}"
        try:
            msg = await js.get_msg(stream, subject=subject, direct=False)
        except nats.js.errors.NotFoundError:
            return (0,)
        return (int((msg.data or b"0").decode()),)

    counts = {}
    for path in paths:
        what = f"the stored count of {path}"
        (counts[path],) = await wait_until(
            functools.partial(stored, path), READ_TIMEOUT_S, what, poll_s=POLL_S, retry_on=(Exception,)
        )
    return counts
