"""The chaos run's faults: every 10–20 s (seeded), SIGKILL of a host process, a provider process or a NATS node,
brought back as an operator's supervisor would — hosts and NATS nodes restarted by the driver after
``restart_delay_s`` (same host seed, same node port and store), providers restarted by their own host — and the
recovery watched until the lattice is healthy again.

Kinds come from a shuffled deck (each kind once per three faults, in a seeded random order); the target, the
interval and the deck order come from the same seeded generator. The next fault is due 10–20 s after the previous
kill, but never before the previous fault has recovered, so each recovery time is one fault's.

**Recovered** means, observed in one probe round after the kill (rounds every :data:`PROBE_PAUSE_S`):

1. the killed part is back — host: the restarted process answers a control ping; provider: its host runs a new
   process of that provider; NATS node: the node runs and every replicated stream has a leader and all replicas
   current;
2. the application is as declared: every component at its replica count, every link present, nothing pending;
3. one request of each kind (echo, kvcounter, pinger, ponger over RPC) answers correctly within 2 s.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.support.chaos.lattice import ChaosLattice
from tests.support.chaos.load import KINDS, PROBE_KEY, Calls, timed
from tests.support.rig import PROVIDER_MODULES
from tests.support.waiting import WaitTimeout, sleep_until, wait_until

FAULT_KINDS = ("host", "provider", "nats")
ANSWER_BOUND_S = 2.0
PROBE_PAUSE_S = 0.2


@dataclass
class Fault:
    kind: str
    index: int  # of the host (also for a provider: its host) or of the NATS node
    target: str
    pid: int
    killed_at: float  # monotonic seconds
    restarts: int = 0
    recovered_at: float | None = None
    waiting_on: str = ""  # the last thing seen unhealthy

    @property
    def recovery_s(self) -> float | None:
        return None if self.recovered_at is None else self.recovered_at - self.killed_at


@dataclass(frozen=True)
class FaultPlan:
    interval_min_s: float = 10.0
    interval_max_s: float = 20.0
    restart_delay_s: float = 2.0
    max_recovery_s: float = 120.0


class Injector:
    def __init__(
        self, lattice: ChaosLattice, calls: Calls, plan: FaultPlan, rng: random.Random, log: Callable[[str], None]
    ) -> None:
        self.lattice = lattice
        self.calls = calls
        self.plan = plan
        self.rng = rng
        self.log = log
        self.faults: list[Fault] = []
        self.orphan_watch: dict[tuple[int, str | None], str] = {}  # providers of killed hosts: (pid, start) → what
        self._deck: list[str] = []
        self._t0 = time.monotonic()
        self.verbose = False  # log each change of what recovery waits on

    def at(self, t: float) -> str:
        return f"t={t - self._t0:7.1f}s"

    async def run(self, t0: float, until: float) -> None:
        """Inject faults until ``until``; a fault that does not recover within the bound ends the injection."""
        self._t0 = t0
        next_at = t0 + self._interval()
        while next_at < until:
            await sleep_until(next_at)
            fault = await self._inject(self._next_kind())
            self.faults.append(fault)
            next_at = fault.killed_at + self._interval()
            await self._recover(fault)
            if fault.recovered_at is None:
                self.log(f"{self.at(time.monotonic())} NOT RECOVERED after {self.plan.max_recovery_s:g}s: "
                         f"{fault.target}; waiting on: {fault.waiting_on}")  # fmt: skip
                return

    def _interval(self) -> float:
        return self.rng.uniform(self.plan.interval_min_s, self.plan.interval_max_s)

    def _next_kind(self) -> str:
        if not self._deck:
            self._deck = list(FAULT_KINDS)
            self.rng.shuffle(self._deck)
        return self._deck.pop()

    # --- killing --------------------------------------------------------------------------------------------------

    async def _inject(self, kind: str) -> Fault:
        if kind == "provider":
            candidates = sorted(self.lattice.provider_pids())
            if candidates:
                index, contract, pid = self.rng.choice(candidates)
                killed_at = time.monotonic()
                os.kill(pid, signal.SIGKILL)
                fault = Fault(kind, index, f"{contract} on host {index}", pid, killed_at)
                self.log(f"{self.at(fault.killed_at)} SIGKILL provider {contract} (pid {pid}) on host {index}")
                return fault
            kind = "host"  # no provider runs right now (cannot happen once the app is ready)
        if kind == "host":
            index = self.rng.randrange(len(self.lattice.hosts))
            host = self.lattice.hosts[index]
            for h, contract, pid in self.lattice.provider_pids():
                if h == index:
                    self.orphan_watch[(pid, started(pid))] = f"{contract} of killed host {index}"
            pid, killed_at = host.pid or 0, time.monotonic()
            await asyncio.to_thread(host.kill)
            fault = Fault(kind, index, f"host {index} ({host.host_id[:8]}…)", pid, killed_at)
            self.log(f"{self.at(fault.killed_at)} SIGKILL host {index} (pid {pid})")
            return fault
        index = self.rng.randrange(self.lattice.cluster.size)
        killed_at = time.monotonic()
        pid = await asyncio.to_thread(self.lattice.cluster.kill, index)
        fault = Fault(kind, index, f"NATS node {index}", pid, killed_at)
        self.log(f"{self.at(fault.killed_at)} SIGKILL NATS node {index} (pid {pid})")
        return fault

    async def _bring_back(self, fault: Fault) -> None:
        """Restart a killed host or node (again, if it exited since) after the supervisor's delay."""
        index = fault.index
        if fault.kind == "host" and self.lattice.hosts[index].pid is None:
            await asyncio.sleep(self.plan.restart_delay_s)
            self.lattice.restart_host(index)
        elif fault.kind == "nats" and not self.lattice.cluster.running(index):
            await asyncio.sleep(self.plan.restart_delay_s)
            try:
                await self.lattice.cluster.restart(index)
            except Exception as exc:  # e.g. the port is not free yet: the supervisor tries again
                self.log(f"{self.at(time.monotonic())} restarting NATS node {index} failed: {exc}")
                return
        else:
            return
        fault.restarts += 1
        self.log(f"{self.at(time.monotonic())}   restarted {fault.target}")

    # --- watching -------------------------------------------------------------------------------------------------

    async def _recover(self, fault: Fault) -> None:
        """Probe until the lattice is healthy again (``fault.recovered_at`` set) or the bound runs out."""

        async def healthy() -> bool:
            if fault.kind in ("host", "nats"):
                await self._bring_back(fault)
            try:
                missing = await self._missing(fault)
            except Exception as exc:  # a control request failed while the lattice recovers
                missing = f"{type(exc).__name__}: {exc}"
            if missing is None:
                return True
            if self.verbose and missing != fault.waiting_on:
                self.log(f"{self.at(time.monotonic())}     waiting on: {missing}")
            fault.waiting_on = missing
            return False

        left = fault.killed_at + self.plan.max_recovery_s - time.monotonic()
        try:
            await wait_until(healthy, max(0.0, left), f"recovery from the loss of {fault.target}", poll_s=PROBE_PAUSE_S)
        except WaitTimeout:
            return
        fault.recovered_at = time.monotonic()
        self.log(f"{self.at(fault.recovered_at)}   recovered from the loss of {fault.target} "
                 f"in {fault.recovery_s:.1f}s")  # fmt: skip

    async def _missing(self, fault: Fault) -> str | None:
        """What is not healthy yet (None when everything is): the killed part, the app, or a request."""
        part = await self._part_missing(fault)
        if part is not None:
            return part
        status = await self.lattice.app_status()
        if not status.ready:
            counts = ", ".join(f"{c.name} {c.running}/{c.wanted}" for c in status.components if not c.ready)
            return f"app: {counts} links {status.links_present}/{status.links_wanted} pending {status.pending}"
        return await service_missing(self.calls)

    async def _part_missing(self, fault: Fault) -> str | None:
        index = fault.index
        if fault.kind == "host":
            host = self.lattice.hosts[index]
            if host.host_id not in await self.lattice.host_ids_answering():
                return f"host {index} does not answer a control ping"
        elif fault.kind == "provider":
            contract = fault.target.split()[0]
            again = [p for h, c, p in self.lattice.provider_pids() if h == index and c == contract and p != fault.pid]
            if not again:
                return f"{contract} is not running again on host {index}"
        else:
            problems = await self.lattice.stream_problems()
            if not self.lattice.cluster.running(index) or problems:
                return f"NATS node {index}: {'; '.join(problems) or 'not running'}"
        return None


async def service_missing(calls: Calls) -> str | None:
    """One request of each kind, each bounded by 2 s; None when all answer correctly, else the failures."""
    probes = {
        "echo": lambda: calls.echo(0),
        "kvcounter": lambda: calls.kvcounter(PROBE_KEY),
        "pinger": calls.pinger,
        "ponger-rpc": calls.ponger,
    }
    outcomes = await asyncio.gather(*(timed(kind, probes[kind], ANSWER_BOUND_S) for kind in KINDS))
    failed = [f"{o.kind}: {o.error}" for o in outcomes if not o.ok]
    return "; ".join(failed) or None


def started(pid: int) -> str | None:
    """The start time of process ``pid`` (clock ticks since boot, /proc/PID/stat field 22): with the pid, an
    identity a reused pid does not share."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def orphans(watch: dict[tuple[int, str | None], str]) -> list[str]:
    """Provider processes of killed hosts that still run (a provider must exit when its host goes away)."""
    alive = []
    for (pid, start), what in watch.items():
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if started(pid) == start and any(f"-m {module}" in cmdline for module in PROVIDER_MODULES.values()):
            alive.append(f"pid {pid} ({what}) still runs")
    return alive
