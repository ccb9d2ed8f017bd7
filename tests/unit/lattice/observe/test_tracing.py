"""When tracing is on (the OTEL_* rule), and trace context in NATS headers and the Invocation's map."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Tracer

from lattice.observe import propagation as p
from lattice.observe.errors import TracingConfigError
from lattice.observe.tracing import NO_TRACING, setup_tracing, tracing_settings
from lattice.wire import WasmCloudEntity

ENDPOINT = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}
VALID = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.mark.parametrize(
    ("env", "exporters"),
    [
        ({}, ()),
        (ENDPOINT, ("otlp",)),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://x:4318/v1/traces"}, ("otlp",)),
        ({**ENDPOINT, "OTEL_TRACES_EXPORTER": "none"}, ()),
        ({**ENDPOINT, "OTEL_SDK_DISABLED": "true"}, ()),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, ("otlp",)),
        ({"OTEL_TRACES_EXPORTER": "console, otlp"}, ("console", "otlp")),
        ({**ENDPOINT, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}, ("otlp",)),
        ({"OTEL_TRACES_EXPORTER": "console", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, ("console",)),
    ],
)
def test_tracing_is_on_only_when_the_environment_asks(env: dict[str, str], exporters: tuple[str, ...]) -> None:
    assert tracing_settings(env).exporters == exporters


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"OTEL_TRACES_EXPORTER": "zipkin"}, "zipkin"),
        ({**ENDPOINT, "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "OTEL_EXPORTER_OTLP_PROTOCOL"),
        ({**ENDPOINT, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"}, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"),
    ],
)
def test_unsupported_settings_are_refused_by_name(env: dict[str, str], named: str) -> None:
    with pytest.raises(TracingConfigError, match=named):
        tracing_settings(env)


def test_off_is_the_no_op_tracer() -> None:
    assert setup_tracing(tracing_settings({}), "x") is NO_TRACING
    with NO_TRACING.tracer.start_as_current_span("op"):
        assert p.current_carrier() is None
        assert p.with_trace_headers({"a": "b"}) == {"a": "b"}
    NO_TRACING.shutdown()


@pytest.fixture
def spans() -> Iterator[tuple[Tracer, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider.get_tracer("test"), exporter
    provider.shutdown()


def test_a_carrier_round_trips_through_headers_and_the_map(spans: tuple[Tracer, InMemorySpanExporter]) -> None:
    tracer, exporter = spans
    with tracer.start_as_current_span("caller", kind=SpanKind.CLIENT) as caller:
        carrier = p.current_carrier()
        headers = p.with_trace_headers({"other": "1"})
    assert carrier is not None
    assert set(carrier) == {p.TRACEPARENT}
    assert headers == {"other": "1", **carrier}
    for context in (p.extract_context(headers, None), p.extract_context(None, carrier)):
        with tracer.start_as_current_span("served", context):
            pass
    served = [s for s in exporter.get_finished_spans() if s.name == "served"]
    assert len(served) == 2
    for span in served:
        assert span.parent is not None
        assert span.parent.span_id == caller.get_span_context().span_id
        assert span.context.trace_id == caller.get_span_context().trace_id


def test_the_header_wins_over_the_map_and_names_are_case_insensitive() -> None:
    other = "00-11111111111111111111111111111111-2222222222222222-01"
    context = p.extract_context({"TraceParent": VALID}, {"traceparent": other})
    assert context is not None
    from opentelemetry import trace

    assert f"{trace.get_current_span(context).get_span_context().trace_id:032x}" == VALID.split("-")[1]


@pytest.mark.parametrize(
    "carrier",
    [
        {"traceparent": "garbage"},
        {"traceparent": "00-00000000000000000000000000000000-b7ad6b7169203331-01"},
        {"traceparent": VALID + "x" * 1000},
        {"tracestate": "a=b"},
        {"traceparent": 5},
        {},
    ],
)
def test_malformed_context_starts_a_new_trace(carrier: dict[str, object]) -> None:
    assert p.extract_context(carrier, carrier) is None  # type: ignore[arg-type]


def test_attributes_name_the_actor_provider_contract_link_and_host() -> None:
    actor = WasmCloudEntity.actor("Mactor")
    provider = WasmCloudEntity.provider("Vprov", "wasmcloud:httpserver", "web")
    for origin, target in ((actor, provider), (provider, actor)):
        attrs = p.invocation_attributes(origin, target, "Op.Do", host_id="Nhost", invocation_id="abc")
        assert attrs[p.ATTR_ACTOR] == "Mactor"
        assert attrs[p.ATTR_PROVIDER] == "Vprov"
        assert (attrs[p.ATTR_CONTRACT], attrs[p.ATTR_LINK_NAME]) == ("wasmcloud:httpserver", "web")
        assert (attrs[p.ATTR_HOST], attrs[p.ATTR_INVOCATION_ID], attrs[p.RPC_METHOD]) == ("Nhost", "abc", "Op.Do")
        assert attrs[p.ATTR_ORIGIN] == origin.public_key
    assert p.span_name("") == p.UNNAMED_SPAN
    assert len(p.span_name("x" * 1000)) == p.MAX_SPAN_NAME_CHARS
