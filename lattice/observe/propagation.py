"""W3C trace context on the lattice (docs/protocol.md §4.1, §4.2): the ``traceparent`` NATS header and the
Invocation's ``traceContext`` map.

A sender puts the same carrier in both (wasmbus-rpc providers read either); a receiver prefers the header and falls
back to the map. Malformed values are ignored (the span starts a new trace), never an error.

Spans are named by the invocation's operation (``HttpServer.HandleRequest``, ``KeyValue.Increment``) and carry the
attribute keys below; invocation ids are span attributes, never metric labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
MAX_CARRIER_VALUE_CHARS = 512  # tracestate is at most 32 members of 256 chars; anything longer is not ours

RPC_SYSTEM = "rpc.system"
RPC_METHOD = "rpc.method"
RPC_SERVICE = "rpc.service"
WASMBUS = "wasmbus"
ATTR_HOST = "wasmcloud.host.id"
ATTR_LATTICE = "wasmcloud.lattice"
ATTR_ACTOR = "wasmcloud.actor.id"
ATTR_PROVIDER = "wasmcloud.provider.id"
ATTR_CONTRACT = "wasmcloud.contract.id"
ATTR_LINK_NAME = "wasmcloud.link.name"
ATTR_ORIGIN = "wasmcloud.origin.id"
ATTR_TARGET = "wasmcloud.target.id"
ATTR_OPERATION = "wasmcloud.operation"
ATTR_INVOCATION_ID = "wasmcloud.invocation.id"
MAX_SPAN_NAME_CHARS = 128
UNNAMED_SPAN = "wasmbus.invocation"

_PROPAGATOR = TraceContextTextMapPropagator()


class Entity(Protocol):
    """What the attributes need of a WasmCloudEntity (an actor has empty contract id and link name)."""

    @property
    def public_key(self) -> str: ...

    @property
    def contract_id(self) -> str: ...

    @property
    def link_name(self) -> str: ...


def current_carrier() -> dict[str, str] | None:
    """``{"traceparent": …[, "tracestate": …]}`` for the current span, or None when there is none (tracing off)."""
    if not trace.get_current_span().get_span_context().is_valid:
        return None
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier or None


def with_trace_headers(headers: Mapping[str, str] | None) -> dict[str, str] | None:
    """``headers`` plus the current trace context, for ``nc.request(…, headers=…)``; unchanged when there is none."""
    carrier = current_carrier()
    if carrier is None:
        return dict(headers) if headers else None
    return {**(headers or {}), **carrier}


def extract_context(headers: Mapping[str, str] | None, trace_context: Mapping[str, str] | None) -> Context | None:
    """The remote parent from the NATS headers, else from the Invocation's ``traceContext``; None when neither has
    a valid ``traceparent``."""
    for carrier in (headers, trace_context):
        if not carrier:
            continue
        clean = {
            k.lower(): v
            for k, v in carrier.items()
            if k.lower() in (TRACEPARENT, TRACESTATE) and isinstance(v, str) and len(v) <= MAX_CARRIER_VALUE_CHARS
        }
        if TRACEPARENT not in clean:
            continue
        context = _PROPAGATOR.extract(clean)
        if trace.get_current_span(context).get_span_context().is_valid:
            return context
    return None


def span_name(operation: str) -> str:
    """Spans are named by operation, cut to a bounded length."""
    return operation[:MAX_SPAN_NAME_CHARS] or UNNAMED_SPAN


def invocation_attributes(
    origin: Entity, target: Entity, operation: str, *, host_id: str = "", lattice: str = "", invocation_id: str = ""
) -> dict[str, str]:
    """Span attributes of one invocation: the actor and provider involved (whichever side each is), the contract
    and link name, the host, the operation and the invocation id."""
    attrs = {
        RPC_SYSTEM: WASMBUS,
        RPC_METHOD: operation,
        ATTR_OPERATION: operation,
        ATTR_ORIGIN: origin.public_key,
        ATTR_TARGET: target.public_key,
    }
    for entity in (origin, target):  # the target wins when both are actors
        if entity.contract_id:
            attrs[ATTR_PROVIDER] = entity.public_key
            attrs[ATTR_CONTRACT] = entity.contract_id
            attrs[RPC_SERVICE] = entity.contract_id
            attrs[ATTR_LINK_NAME] = entity.link_name
        else:
            attrs[ATTR_ACTOR] = entity.public_key
    optional = {ATTR_HOST: host_id, ATTR_LATTICE: lattice, ATTR_INVOCATION_ID: invocation_id}
    attrs.update({k: v for k, v in optional.items() if v})
    return attrs
