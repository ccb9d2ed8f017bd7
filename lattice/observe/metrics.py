"""Every metric of a lattice member, declared once, and the helpers the pipelines call to record them.

One :class:`Metrics` per process owns a :class:`~prometheus_client.CollectorRegistry` (a host and the providers it
runs in-process share it; a provider process has its own). With metrics off the process uses :data:`NO_METRICS`,
whose helpers do nothing (measured in ``bench/observe_overhead.py``).

Label cardinality is bounded by construction:

* labels name what *runs*: actor and provider public keys, link names, contract ids and operation names, which are
  bounded by the modules and links of the lattice; gauges of an actor or provider are removed when it stops;
* invocation ids, payloads, host-call bindings, URLs and error texts are never labels (they go to traces);
* each family keeps at most :data:`DEFAULT_MAX_SERIES` label sets; past that, new ones are counted under
  :data:`OVERFLOW` (so a peer that sends invocations with made-up operation names cannot grow the registry), and
  every label value is cut to :data:`MAX_LABEL_CHARS`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.process_collector import ProcessCollector

NAMESPACE = "wasmlattice"
DEFAULT_MAX_SERIES = 2000
MAX_LABEL_CHARS = 128
OVERFLOW = "_overflow"
LATENCY_BUCKETS_S = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Outcome(StrEnum):
    """How one invocation ended, as a label value."""

    OK = "ok"  # answered with a result
    ERROR = "error"  # the actor or provider handler answered with an error value
    REJECTED = "rejected"  # refused before running: malformed, forged, claims, policy, unlinked, unknown operation
    TIMEOUT = "timeout"  # no answer in time (caller side), or the deadline killed the guest
    BUSY = "busy"  # the inbox was full
    FAULT = "fault"  # the host or provider failed internally


class Family:
    """A labelled metric with its children cached (``labels()`` is slow) and the number of series bounded."""

    def __init__(self, metric: MetricWrapperBase, max_series: int = DEFAULT_MAX_SERIES) -> None:
        self.metric = metric
        self.max_series = max_series
        self._children: dict[tuple[str, ...], Any] = {}

    def child(self, *values: str) -> Any:
        found = self._children.get(values)
        return found if found is not None else self._add(values)

    def _add(self, values: tuple[str, ...]) -> Any:
        if len(self._children) >= self.max_series:
            key = (OVERFLOW,) * len(values)
            found = self._children.get(key)
            if found is None:
                found = self._children[key] = self.metric.labels(*key)
            return found
        found = self._children[values] = self.metric.labels(*(v[:MAX_LABEL_CHARS] for v in values))
        return found

    def label_sets(self) -> list[tuple[str, ...]]:
        return list(self._children)

    def forget(self, *values: str) -> None:
        """Drop a series (an actor or provider that stopped), so gauges do not report what no longer runs."""
        if self._children.pop(values, None) is not None:
            self.metric.remove(*(v[:MAX_LABEL_CHARS] for v in values))

    def __len__(self) -> int:
        return len(self._children)


@dataclass(frozen=True)
class MetricSpec:
    """One metric family: its short key, Prometheus type, full name, help text and label names."""

    key: str
    kind: type[MetricWrapperBase]
    name: str
    help: str
    labels: tuple[str, ...]


_A, _OP, _OUT = ("actor",), ("operation",), ("outcome",)
_PROV = ("provider", "contract", "link_name")
_TARGET = ("target", "link_name")
SPECS: tuple[MetricSpec, ...] = (
    MetricSpec("host_info", Gauge, "host_info", "Always 1; identifies the host", ("host_id", "lattice", "version")),
    MetricSpec("provider_info", Gauge, "provider_info", "Always 1; identifies a provider", _PROV),
    MetricSpec(
        "actor_invocations", Counter, "actor_invocations_total", "Invocations of actors served here", _A + _OP + _OUT
    ),
    MetricSpec(
        "actor_seconds",
        Histogram,
        "actor_invocation_duration_seconds",
        "Host-side time to serve an actor invocation, from decoding to the reply",
        _A + _OP,
    ),
    MetricSpec(
        "provider_invocations",
        Counter,
        "provider_invocations_total",
        "Invocations served by a capability provider",
        _PROV + _OP + _OUT,
    ),
    MetricSpec(
        "provider_seconds",
        Histogram,
        "provider_invocation_duration_seconds",
        "Provider-side time to serve an invocation",
        _PROV + _OP,
    ),
    MetricSpec("rpc_calls", Counter, "rpc_calls_total", "Invocations sent on the lattice", _TARGET + _OP + _OUT),
    MetricSpec(
        "rpc_seconds",
        Histogram,
        "rpc_call_duration_seconds",
        "Caller-side round trip of an invocation, signing to decoded reply",
        _TARGET + _OP,
    ),
    MetricSpec("inbox_depth", Gauge, "inbox_depth", "Invocations queued in an actor's inbox", _A),
    MetricSpec("inbox_rejections", Counter, "inbox_rejections_total", "Invocations refused as busy (inbox full)", _A),
    MetricSpec("actor_instances", Gauge, "actor_instances", "Instances of an actor on this host", _A),
    MetricSpec("guest_traps", Counter, "guest_traps_total", "Guest traps (the instance is replaced)", _A),
    MetricSpec("deadline_kills", Counter, "deadline_kills_total", "Guest calls stopped at their deadline", _A),
    MetricSpec("provider_restarts", Counter, "provider_restarts_total", "Provider processes restarted", _PROV),
    MetricSpec("provider_up", Gauge, "provider_healthy", "1 when the last health check passed, else 0", _PROV),
    MetricSpec("provider_checks", Counter, "provider_health_checks_total", "Provider health checks", _PROV + _OUT),
    MetricSpec("links", Gauge, "links", "Link definitions known to this member", ("contract",)),
    MetricSpec(
        "chunk_bytes", Counter, "chunked_payload_bytes_total", "Bytes moved through the object store", ("direction",)
    ),
    MetricSpec("chunks", Counter, "chunked_payloads_total", "Payloads moved through the object store", ("direction",)),
    MetricSpec("reconcile_passes", Counter, "reconciler_passes_total", "Reconciler passes by the leader", _OUT),
    MetricSpec("reconcile_actions", Counter, "reconciler_actions_total", "Reconciler actions", ("action", *_OUT)),
    MetricSpec("nats_reconnects", Counter, "nats_reconnects_total", "Reconnections to NATS", ("connection",)),
)


def full_name(spec: MetricSpec) -> str:
    return f"{NAMESPACE}_{spec.name}"


def _declare(registry: CollectorRegistry) -> dict[str, Family]:
    families = {}
    for spec in SPECS:
        extra: dict[str, Any] = {"buckets": LATENCY_BUCKETS_S} if spec.kind is Histogram else {}
        metric = spec.kind(full_name(spec), spec.help, spec.labels, registry=registry, **extra)
        families[spec.key] = Family(metric)
    return families


class Metrics:
    """The metrics of one process. Build it once at start-up; hand :data:`NO_METRICS` around when metrics are off."""

    enabled = True

    def __init__(self, registry: CollectorRegistry | None = None, *, process_collector: bool = True) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        if process_collector:
            ProcessCollector(namespace=NAMESPACE, registry=self.registry)
        self.families = _declare(self.registry)
        f = self.families
        self._actor_invocations, self._actor_seconds = f["actor_invocations"], f["actor_seconds"]
        self._rpc_calls, self._rpc_seconds = f["rpc_calls"], f["rpc_seconds"]
        self._provider_invocations, self._provider_seconds = f["provider_invocations"], f["provider_seconds"]

    def clock(self) -> float:
        """A start time for the ``seconds`` argument of the helpers below (0.0 when metrics are off)."""
        return time.perf_counter()

    # --- identity -------------------------------------------------------------------------------------------------

    def host_info(self, host_id: str, lattice: str, version: str) -> None:
        self.families["host_info"].child(host_id, lattice, version).set(1)

    def provider_info(self, provider: str, contract: str, link_name: str) -> None:
        self.families["provider_info"].child(provider, contract, link_name).set(1)

    # --- invocations ----------------------------------------------------------------------------------------------

    def actor_invocation(self, actor: str, operation: str, outcome: Outcome, started: float) -> None:
        """An inbound invocation of a local actor finished (host side); ``started`` came from :meth:`clock`."""
        self._actor_invocations.child(actor, operation, outcome).inc()
        self._actor_seconds.child(actor, operation).observe(time.perf_counter() - started)

    def provider_invocation(
        self, provider: str, contract: str, link_name: str, operation: str, outcome: Outcome, started: float
    ) -> None:
        """A provider answered an invocation (provider side)."""
        self._provider_invocations.child(provider, contract, link_name, operation, outcome).inc()
        self._provider_seconds.child(provider, contract, link_name, operation).observe(time.perf_counter() - started)

    def rpc_call(self, target: str, link_name: str, operation: str, outcome: Outcome, started: float) -> None:
        """An invocation this process sent got its answer, an error or a timeout (caller side)."""
        self._rpc_calls.child(target, link_name, operation, outcome).inc()
        self._rpc_seconds.child(target, link_name, operation).observe(time.perf_counter() - started)

    # --- actors ---------------------------------------------------------------------------------------------------

    def inbox_depth(self, actor: str, depth: int) -> None:
        self.families["inbox_depth"].child(actor).set(depth)

    def inbox_rejected(self, actor: str) -> None:
        self.families["inbox_rejections"].child(actor).inc()

    def actor_instances(self, actor: str, count: int) -> None:
        """The actor now runs ``count`` instances here; 0 removes its gauges."""
        if count > 0:
            self.families["actor_instances"].child(actor).set(count)
            return
        for name in ("actor_instances", "inbox_depth"):
            self.families[name].forget(actor)

    def guest_trapped(self, actor: str) -> None:
        self.families["guest_traps"].child(actor).inc()

    def deadline_killed(self, actor: str) -> None:
        self.families["deadline_kills"].child(actor).inc()

    # --- providers ------------------------------------------------------------------------------------------------

    def provider_restarted(self, provider: str, contract: str, link_name: str) -> None:
        self.families["provider_restarts"].child(provider, contract, link_name).inc()

    def provider_health(self, provider: str, contract: str, link_name: str, healthy: bool) -> None:
        self.families["provider_up"].child(provider, contract, link_name).set(1 if healthy else 0)
        outcome = Outcome.OK if healthy else Outcome.ERROR
        self.families["provider_checks"].child(provider, contract, link_name, outcome).inc()

    def provider_stopped(self, provider: str, contract: str, link_name: str) -> None:
        self.families["provider_up"].forget(provider, contract, link_name)

    # --- lattice --------------------------------------------------------------------------------------------------

    def links(self, by_contract: Mapping[str, int]) -> None:
        """Replace the link counts (one gauge per contract id)."""
        family = self.families["links"]
        for (contract,) in family.label_sets():
            if contract not in by_contract:
                family.forget(contract)
        for contract, count in by_contract.items():
            family.child(contract).set(count)

    def chunked(self, direction: str, size: int) -> None:
        """A payload of ``size`` bytes went through the object store; ``direction`` is ``sent`` or ``received``."""
        self.families["chunk_bytes"].child(direction).inc(size)
        self.families["chunks"].child(direction).inc()

    def reconciler_pass(self, outcome: Outcome) -> None:
        self.families["reconcile_passes"].child(outcome).inc()

    def reconciler_action(self, action: str, outcome: Outcome) -> None:
        self.families["reconcile_actions"].child(action, outcome).inc()

    def nats_reconnected(self, connection: str) -> None:
        self.families["nats_reconnects"].child(connection).inc()


class NoMetrics(Metrics):
    """Metrics off: every helper returns at once (a test checks that each one is overridden here)."""

    enabled = False

    def __init__(self) -> None:  # no registry, no families
        self.registry = CollectorRegistry(auto_describe=False)
        self.families = {}

    def clock(self) -> float:
        return 0.0

    def host_info(self, host_id: str, lattice: str, version: str) -> None:
        pass

    def provider_info(self, provider: str, contract: str, link_name: str) -> None:
        pass

    def actor_invocation(self, actor: str, operation: str, outcome: Outcome, started: float) -> None:
        pass

    def provider_invocation(
        self, provider: str, contract: str, link_name: str, operation: str, outcome: Outcome, started: float
    ) -> None:
        pass

    def rpc_call(self, target: str, link_name: str, operation: str, outcome: Outcome, started: float) -> None:
        pass

    def inbox_depth(self, actor: str, depth: int) -> None:
        pass

    def inbox_rejected(self, actor: str) -> None:
        pass

    def actor_instances(self, actor: str, count: int) -> None:
        pass

    def guest_trapped(self, actor: str) -> None:
        pass

    def deadline_killed(self, actor: str) -> None:
        pass

    def provider_restarted(self, provider: str, contract: str, link_name: str) -> None:
        pass

    def provider_health(self, provider: str, contract: str, link_name: str, healthy: bool) -> None:
        pass

    def provider_stopped(self, provider: str, contract: str, link_name: str) -> None:
        pass

    def links(self, by_contract: Mapping[str, int]) -> None:
        pass

    def chunked(self, direction: str, size: int) -> None:
        pass

    def reconciler_pass(self, outcome: Outcome) -> None:
        pass

    def reconciler_action(self, action: str, outcome: Outcome) -> None:
        pass

    def nats_reconnected(self, connection: str) -> None:
        pass


NO_METRICS: Metrics = NoMetrics()
"""The shared do-nothing instance for a process whose metrics are off."""
