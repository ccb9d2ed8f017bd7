"""A test OTLP/HTTP receiver: ``POST /v1/traces`` with an ``ExportTraceServiceRequest`` (protobuf, optionally
gzip), decoded with opentelemetry-proto into :class:`ReceivedSpan` values the tests assert on.

Started by the ``otlp_receiver`` fixture on a random loopback port; point a process at it with
``OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint``.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from lattice.observe.listen import ListenAddress, Site

PROTOBUF = "application/x-protobuf"
WAIT_S = 30.0


@dataclass(frozen=True)
class ReceivedSpan:
    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    kind: int
    service: str
    attributes: dict[str, Any] = field(default_factory=dict)
    resource: dict[str, Any] = field(default_factory=dict)


def _value(any_value: Any) -> Any:
    kind = any_value.WhichOneof("value")
    return getattr(any_value, kind) if kind else None


def _attrs(key_values: Any) -> dict[str, Any]:
    return {kv.key: _value(kv.value) for kv in key_values}


def decode(body: bytes) -> list[ReceivedSpan]:
    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    spans = []
    for resource_spans in request.resource_spans:
        resource = _attrs(resource_spans.resource.attributes)
        for scope in resource_spans.scope_spans:
            for span in scope.spans:
                spans.append(
                    ReceivedSpan(
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_span_id=span.parent_span_id.hex(),
                        name=span.name,
                        kind=span.kind,
                        service=str(resource.get("service.name", "")),
                        attributes=_attrs(span.attributes),
                        resource=resource,
                    )
                )
    return spans


class OtlpReceiver:
    def __init__(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/traces", self._traces)
        self._site = Site(app, ListenAddress("127.0.0.1", 0), "the test OTLP receiver")
        self.spans: list[ReceivedSpan] = []
        self.requests = 0
        self._changed = asyncio.Event()

    @property
    def endpoint(self) -> str:
        """The base URL for ``OTEL_EXPORTER_OTLP_ENDPOINT`` (the exporter adds ``/v1/traces``)."""
        return self._site.url

    async def start(self) -> None:
        await self._site.start()

    async def stop(self) -> None:
        await self._site.stop()

    async def _traces(self, request: web.Request) -> web.Response:
        body = await request.read()
        if request.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        if request.content_type != PROTOBUF:
            return web.Response(status=415, text=f"expected {PROTOBUF}")
        self.spans.extend(decode(body))
        self.requests += 1
        self._changed.set()
        return web.Response(body=ExportTraceServiceResponse().SerializeToString(), content_type=PROTOBUF)

    async def wait_for(self, check: Callable[[list[ReceivedSpan]], bool], timeout_s: float = WAIT_S) -> None:
        """Until ``check(spans)`` holds; AssertionError naming what arrived when it does not in time."""
        try:
            async with asyncio.timeout(timeout_s):
                while not check(self.spans):
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            seen = [(s.service, s.name) for s in self.spans]
            raise AssertionError(f"spans did not arrive within {timeout_s}s; received {seen}") from None
