"""What metrics and tracing cost per invocation, off and on, against baselines measured in the same run.

Per call (median of interleaved rounds, ns):

* ``empty call``: a Python function with the helpers' arguments that does nothing (the floor);
* ``metrics off``: ``NO_METRICS.clock()`` + ``NO_METRICS.actor_invocation(…)`` — what phase-2 pipelines pay when
  metrics are off;
* ``metrics on``: the same on a real registry (counter + histogram, cached label children);
* ``tracing guard``: the ``if tracing.enabled:`` check phase-2 call sites put before any tracing work;
* ``tracing off``: unguarded ``current_carrier()`` + ``extract_context(None, None)`` with no span current;
* ``tracing on``: a server span with invocation attributes, a child client span and the carrier injected, into a
  batch processor whose exporter discards;
* ``sign+validate``: signing and validating one invocation (the anti-forgery work every lattice call already does),
  to show the overheads as a share of real per-call work.

Run: ``.venv/bin/python bench/observe_overhead.py [--rounds N] [--calls N]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind

from lattice import keys
from lattice.observe import propagation as p
from lattice.observe.metrics import NO_METRICS, Metrics, Outcome
from lattice.observe.tracing import NO_TRACING, Tracing
from lattice.wire import WasmCloudEntity, antiforgery

ACTOR = WasmCloudEntity.actor("M" + "A" * 55)
PROVIDER = WasmCloudEntity.provider("V" + "B" * 55, "wasmcloud:keyvalue", "default")
OP = "KeyValue.Increment"


class Discard(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def empty(actor: str, operation: str, outcome: Outcome, started: float) -> None:
    pass


def cases() -> dict[str, Callable[[], object]]:
    on = Metrics()
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Discard()))
    tracing_on = Tracing(provider)
    cluster = keys.KeyPair.create(keys.KeyType.CLUSTER)
    host = keys.KeyPair.create(keys.KeyType.SERVER).public_key

    def metrics_off() -> None:
        NO_METRICS.actor_invocation(ACTOR.public_key, OP, Outcome.OK, NO_METRICS.clock())

    def metrics_on() -> None:
        on.actor_invocation(ACTOR.public_key, OP, Outcome.OK, on.clock())

    def tracing_off_guarded() -> object:
        return p.current_carrier() if NO_TRACING.enabled else None

    def tracing_off() -> object:
        return p.current_carrier(), p.extract_context(None, None)

    def traced() -> object:
        attrs = p.invocation_attributes(ACTOR, PROVIDER, OP, host_id=host, invocation_id="x")
        with (
            tracing_on.tracer.start_as_current_span(OP, kind=SpanKind.SERVER, attributes=attrs),
            tracing_on.tracer.start_as_current_span(OP, kind=SpanKind.CLIENT, attributes=attrs),
        ):
            return p.current_carrier()

    def sign_validate() -> None:
        inv = antiforgery.sign(ACTOR, PROVIDER, OP, b"0123456789abcdef", cluster, host)
        antiforgery.validate(inv, [cluster.public_key], full_msg=inv.msg)

    return {
        "empty call": lambda: empty(ACTOR.public_key, OP, Outcome.OK, 0.0),
        "metrics off": metrics_off,
        "metrics on": metrics_on,
        "tracing guard": tracing_off_guarded,
        "tracing off": tracing_off,
        "tracing on": traced,
        "sign+validate": sign_validate,
    }


def measure(fn: Callable[[], object], calls: int) -> float:
    started = time.perf_counter_ns()
    for _ in range(calls):
        fn()
    return (time.perf_counter_ns() - started) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=20000)
    options = parser.parse_args()
    table = cases()
    results: dict[str, list[float]] = {name: [] for name in table}
    for _ in range(options.rounds):
        for name, fn in table.items():
            calls = options.calls // 20 if name in ("sign+validate", "tracing on") else options.calls
            results[name].append(measure(fn, calls))
    median = {name: statistics.median(values) for name, values in results.items()}
    work = median["sign+validate"]
    for name, ns in median.items():
        print(f"{name:>14}: {ns:10.0f} ns/call  x{ns / median['empty call']:6.2f} of an empty call  "
              f"{100 * ns / work:6.2f}% of sign+validate")  # fmt: skip
    print(f"ratio (metrics off / empty call): x{median['metrics off'] / median['empty call']:.2f}")
    print(f"ratio (tracing guard / empty call): x{median['tracing guard'] / median['empty call']:.2f}")


if __name__ == "__main__":
    main()
