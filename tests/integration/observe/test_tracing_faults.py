"""An OTLP endpoint that does not answer: spans keep being made, one warning, a bounded queue, a bounded shutdown."""

from __future__ import annotations

import asyncio
import logging
import os

import pytest
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from lattice.observe.tracing import setup_tracing, tracing_settings
from tests.support.ports import free_port
from tests.support.waiting import wait_until

QUEUE = 64
SPANS = 5000
WAIT_S = 30.0


async def test_an_unreachable_endpoint_costs_one_warning_and_bounded_memory(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    for name, value in {
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_EXPORTER_OTLP_TIMEOUT": "0.2",
        "OTEL_BSP_SCHEDULE_DELAY": "10",
        "OTEL_BSP_MAX_QUEUE_SIZE": str(QUEUE),
        "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "16",
    }.items():
        monkeypatch.setenv(name, value)
    caplog.set_level(logging.INFO)
    tracing = setup_tracing(tracing_settings(os.environ), "faulty")
    (exporter,) = tracing.exporters
    try:
        for n in range(SPANS):
            with tracing.tracer.start_as_current_span(f"op{n % 7}"):
                pass
        await wait_until(lambda: exporter.failures >= 2, WAIT_S, "two failed exports")
        assert tracing.provider is not None
        (processor,) = tracing.provider._active_span_processor._span_processors  # SDK internals, read only
        assert isinstance(processor, BatchSpanProcessor)
        queue = processor._batch_processor._queue
        assert queue.maxlen == QUEUE
        assert len(queue) <= QUEUE
        assert exporter.exported == 0
    finally:
        await asyncio.to_thread(tracing.shutdown, 2.0)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.name for r in warnings] == ["lattice.observe.tracing"], [r.getMessage() for r in warnings]
    assert endpoint in warnings[0].getMessage()
