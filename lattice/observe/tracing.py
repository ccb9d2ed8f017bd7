"""Traces: a tracer provider configured by the standard ``OTEL_*`` variables, off unless they ask for it.

The rule (docs/adr/0007-observability.md):

* ``OTEL_SDK_DISABLED=true`` or ``OTEL_TRACES_EXPORTER=none`` → off;
* ``OTEL_TRACES_EXPORTER`` lists ``otlp`` and/or ``console`` → those exporters;
* unset → OTLP when ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set, else off
  (the OTel default would export to localhost:4318 from every process; a lattice member stays quiet instead);
* OTLP goes over HTTP/protobuf (``OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL`` unset or ``http/protobuf``); ``grpc`` and
  ``http/json`` are refused with :class:`TracingConfigError`.

The exporter reads the rest (endpoint, headers, timeout, certificates, compression) and the batch processor its
``OTEL_BSP_*`` bounds from the environment as the SDK documents. Spans wait in the processor's bounded queue
(``OTEL_BSP_MAX_QUEUE_SIZE``, default 2048) and are exported from its own thread; an endpoint that does not answer
costs one warning, the spans that do not fit are dropped, and the process never waits on it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_INSTANCE_ID, SERVICE_NAME, Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
    SpanExportResult,
)

from lattice.observe.errors import TracingConfigError

EXPORTERS_ENV = "OTEL_TRACES_EXPORTER"
ENDPOINT_ENVS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
PROTOCOL_ENVS = ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")
DISABLED_ENV = "OTEL_SDK_DISABLED"
SERVICE_NAME_ENV = "OTEL_SERVICE_NAME"
SUPPORTED_EXPORTERS = frozenset({"otlp", "console", "none"})
SUPPORTED_PROTOCOL = "http/protobuf"
DEFAULT_SHUTDOWN_TIMEOUT_S = 5.0
INSTRUMENTATION_NAME = "wasmlattice"
QUIETED_LOGGERS = (
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "opentelemetry.sdk._shared_internal",
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TracingSettings:
    exporters: tuple[str, ...] = ()
    endpoint: str = ""

    @property
    def enabled(self) -> bool:
        return bool(self.exporters)


def tracing_settings(env: Mapping[str, str]) -> TracingSettings:
    """Whether and where to export spans, by the rule in the module docstring."""
    if env.get(DISABLED_ENV, "").strip().lower() == "true":
        return TracingSettings()
    endpoint = next((env[k].strip() for k in ENDPOINT_ENVS if env.get(k, "").strip()), "")
    listed = [e.strip().lower() for e in env.get(EXPORTERS_ENV, "").split(",") if e.strip()]
    unknown = sorted(set(listed) - SUPPORTED_EXPORTERS)
    if unknown:
        raise TracingConfigError(
            f"{EXPORTERS_ENV}={env[EXPORTERS_ENV]!r}: unsupported exporter {', '.join(unknown)} "
            f"(use {', '.join(sorted(SUPPORTED_EXPORTERS))})"
        )
    exporters = tuple(e for e in dict.fromkeys(listed) if e != "none") if listed else (("otlp",) if endpoint else ())
    if "otlp" in exporters:
        _check_protocol(env)
    return TracingSettings(exporters, endpoint)


def _check_protocol(env: Mapping[str, str]) -> None:
    for name in PROTOCOL_ENVS:
        value = env.get(name, "").strip().lower()
        if value and value != SUPPORTED_PROTOCOL:
            raise TracingConfigError(
                f"{name}={value!r}: only {SUPPORTED_PROTOCOL} is supported (an OTLP/HTTP endpoint, usually port 4318)"
            )
        if value:
            return


class _Quiet(logging.Filter):
    """Holds back the SDK's export and queue-full warnings; :class:`ReportingExporter` warns once instead."""

    def __init__(self) -> None:
        super().__init__()
        self.last = ""

    def filter(self, record: logging.LogRecord) -> bool:
        self.last = record.getMessage()
        return False


_QUIET = _Quiet()


class ReportingExporter(SpanExporter):
    """Wraps an exporter: one warning when exports start failing, one info line when they work again."""

    def __init__(self, inner: SpanExporter, where: str) -> None:
        self.inner = inner
        self.where = where
        self.failures = 0
        self.exported = 0
        self._quiet = _QUIET
        self._failing = False

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self.inner.export(spans)
        except Exception as exc:  # an exporter must not kill the processor's thread
            self._quiet.last = f"{type(exc).__name__}: {exc}"
            result = SpanExportResult.FAILURE
        if result is SpanExportResult.SUCCESS:
            self.exported += len(spans)
            if self._failing:
                self._failing = False
                log.info("traces reach %s again", self.where)
        else:
            self.failures += 1
            if not self._failing:
                self._failing = True
                reason = self._quiet.last or "export failed"
                log.warning("cannot export traces to %s (%s); spans are dropped until it answers", self.where, reason)
        return result

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


class Tracing:
    """The tracer of one process. ``tracer`` is a no-op tracer when tracing is off (``enabled`` is then False)."""

    def __init__(self, provider: TracerProvider | None, exporters: Sequence[ReportingExporter] = ()) -> None:
        self.provider = provider
        self.exporters = tuple(exporters)
        self.enabled = provider is not None
        self.tracer: trace.Tracer = (
            provider.get_tracer(INSTRUMENTATION_NAME) if provider is not None else trace.NoOpTracer()
        )

    def shutdown(self, timeout_s: float = DEFAULT_SHUTDOWN_TIMEOUT_S) -> None:
        """Export what is queued, waiting at most ``timeout_s``; an endpoint that does not answer is given up on."""
        provider, self.provider = self.provider, None
        if provider is None:
            return
        done = threading.Thread(target=provider.shutdown, name="otel-shutdown", daemon=True)
        done.start()
        done.join(timeout_s)
        if done.is_alive():
            for exporter in self.exporters:
                exporter.shutdown()  # ends the retries of an export in progress
            done.join(timeout_s)


NO_TRACING = Tracing(None)


def setup_tracing(
    settings: TracingSettings,
    service_name: str,
    *,
    instance_id: str = "",
    attributes: Mapping[str, str] | None = None,
) -> Tracing:
    """A :class:`Tracing` for this process (``NO_TRACING`` when ``settings`` say off).

    ``service_name`` is used unless ``OTEL_SERVICE_NAME`` is set; ``OTEL_RESOURCE_ATTRIBUTES`` is honoured.
    The provider is not made the global one, so several hosts in one process (tests) keep their identities.
    """
    if not settings.enabled:
        return NO_TRACING
    resource_attrs: dict[str, str] = {SERVICE_NAME: service_name, **(attributes or {})}
    if instance_id:
        resource_attrs[SERVICE_INSTANCE_ID] = instance_id
    resource = Resource.create(resource_attrs)
    provider = TracerProvider(resource=resource)
    reporting = [_exporter(name, settings) for name in settings.exporters]
    for exporter in reporting:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return Tracing(provider, reporting)


def _exporter(name: str, settings: TracingSettings) -> ReportingExporter:
    if name == "console":
        return ReportingExporter(ConsoleSpanExporter(), "the console")
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    for logger_name in QUIETED_LOGGERS:
        logging.getLogger(logger_name).addFilter(_QUIET)  # a filter is added once however often this runs
    return ReportingExporter(OTLPSpanExporter(), settings.endpoint or "the default OTLP endpoint")
