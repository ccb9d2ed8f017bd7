"""The metric declarations follow Prometheus conventions, record what they say, and stay bounded; off is a no-op."""

from __future__ import annotations

import inspect
import re

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from lattice.observe.metrics import (
    MAX_LABEL_CHARS,
    NO_METRICS,
    OVERFLOW,
    SPECS,
    Counter,
    Family,
    Histogram,
    Metrics,
    NoMetrics,
    Outcome,
    full_name,
)

ACTOR = "M" + "A" * 55
PROVIDER = "V" + "B" * 55
FORBIDDEN_LABELS = {"id", "invocation_id", "instance_id", "payload", "error", "url", "binding"}


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(metrics.registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_names_follow_prometheus_conventions() -> None:
    assert len({s.key for s in SPECS}) == len({full_name(s) for s in SPECS}) == len(SPECS)
    for spec in SPECS:
        name = full_name(spec)
        assert re.fullmatch(r"wasmlattice_[a-z][a-z_]*[a-z]", name), name
        if spec.kind is Counter:
            assert name.endswith("_total"), name
        if spec.kind is Histogram:
            assert name.endswith("_seconds"), name
        assert not FORBIDDEN_LABELS & set(spec.labels), f"{name} has an unbounded label"


def test_every_helper_is_a_no_op_when_metrics_are_off() -> None:
    helpers = [n for n, f in inspect.getmembers(Metrics, inspect.isfunction) if not n.startswith("_")]
    assert len(helpers) > 15
    for name in helpers:
        assert getattr(NoMetrics, name) is not getattr(Metrics, name), f"NoMetrics does not override {name}"
    NO_METRICS.actor_invocation(ACTOR, "Op", Outcome.OK, NO_METRICS.clock())
    assert NO_METRICS.clock() == 0.0
    assert generate_latest(NO_METRICS.registry) == b""


def test_an_invocation_is_counted_by_actor_operation_and_outcome_with_its_latency() -> None:
    metrics = Metrics(process_collector=False)
    for outcome in (Outcome.OK, Outcome.OK, Outcome.ERROR):
        metrics.actor_invocation(ACTOR, "HttpServer.HandleRequest", outcome, metrics.clock())
    found = samples(metrics)
    labels = (("actor", ACTOR), ("operation", "HttpServer.HandleRequest"))
    assert found[("wasmlattice_actor_invocations_total", (*labels, ("outcome", "ok")))] == 2
    assert found[("wasmlattice_actor_invocations_total", (*labels, ("outcome", "error")))] == 1
    assert found[("wasmlattice_actor_invocation_duration_seconds_count", labels)] == 3


def test_caller_and_provider_sides_have_their_own_families() -> None:
    metrics = Metrics(process_collector=False)
    metrics.rpc_call(PROVIDER, "default", "KeyValue.Increment", Outcome.TIMEOUT, metrics.clock())
    metrics.provider_invocation(PROVIDER, "wasmcloud:keyvalue", "default", "KeyValue.Get", Outcome.OK, metrics.clock())
    found = samples(metrics)
    call = (("link_name", "default"), ("operation", "KeyValue.Increment"), ("outcome", "timeout"), ("target", PROVIDER))
    assert found[("wasmlattice_rpc_calls_total", call)] == 1
    served = [k for k in found if k[0] == "wasmlattice_provider_invocations_total"]
    assert [dict(k[1])["contract"] for k in served] == ["wasmcloud:keyvalue"]


def test_gauges_of_a_stopped_actor_or_provider_are_removed() -> None:
    metrics = Metrics(process_collector=False)
    metrics.actor_instances(ACTOR, 3)
    metrics.inbox_depth(ACTOR, 2)
    metrics.provider_health(PROVIDER, "wasmcloud:keyvalue", "default", True)
    assert samples(metrics)[("wasmlattice_actor_instances", (("actor", ACTOR),))] == 3
    metrics.actor_instances(ACTOR, 0)
    metrics.provider_stopped(PROVIDER, "wasmcloud:keyvalue", "default")
    names = {name for name, _ in samples(metrics)}
    assert not names & {"wasmlattice_actor_instances", "wasmlattice_inbox_depth", "wasmlattice_provider_healthy"}
    assert "wasmlattice_provider_health_checks_total" in names  # counters stay


def test_links_gauge_is_replaced_as_a_whole() -> None:
    metrics = Metrics(process_collector=False)
    metrics.links({"wasmcloud:httpserver": 2, "wasmcloud:keyvalue": 1})
    metrics.links({"wasmcloud:keyvalue": 3})
    links = {dict(k[1])["contract"]: v for k, v in samples(metrics).items() if k[0] == "wasmlattice_links"}
    assert links == {"wasmcloud:keyvalue": 3}


def test_label_sets_past_the_bound_are_counted_as_overflow() -> None:
    metrics = Metrics(process_collector=False)
    family = metrics.families["rpc_calls"]
    family.max_series = 3
    for n in range(10):
        metrics.rpc_call(PROVIDER, "default", f"Made.Up{n}", Outcome.REJECTED, 0.0)
    assert len(family) == 4  # three real label sets and the overflow one
    found = samples(metrics)
    overflow = tuple((k, OVERFLOW) for k in ("link_name", "operation", "outcome", "target"))
    assert found[("wasmlattice_rpc_calls_total", overflow)] == 7


def test_label_values_are_cut() -> None:
    metrics = Metrics(process_collector=False)
    metrics.inbox_rejected("M" * 1000)
    (actor,) = [dict(k[1])["actor"] for k in samples(metrics) if k[0] == "wasmlattice_inbox_rejections_total"]
    assert actor == "M" * MAX_LABEL_CHARS


def test_process_metrics_are_included_by_default() -> None:
    assert any(name.startswith("wasmlattice_process_") for name, _ in samples(Metrics()))


@pytest.mark.parametrize("cap", [1, 5])
def test_family_never_grows_past_its_bound_plus_overflow(cap: int) -> None:
    metrics = Metrics(process_collector=False)
    family: Family = metrics.families["guest_traps"]
    family.max_series = cap
    for n in range(50):
        metrics.guest_trapped(f"M{n}")
    assert len(family) == cap + 1
