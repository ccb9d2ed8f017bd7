"""Observability shared by every lattice member: Prometheus metrics, OpenTelemetry traces, and where they are served.

* :mod:`lattice.observe.metrics` — every metric declared once, the recording helpers, :data:`NO_METRICS`.
* :mod:`lattice.observe.exposition` — the ``/metrics`` endpoint on a configured ``HOST:PORT``.
* :mod:`lattice.observe.tracing` — the tracer provider configured by the standard ``OTEL_*`` variables.
* :mod:`lattice.observe.propagation` — W3C trace context in the ``traceparent`` NATS header and the Invocation's
  ``traceContext`` map; span names and attribute keys.
* :mod:`lattice.observe.listen` — ``HOST:PORT`` parsing and binding with typed errors (also used by the dashboard).
"""
