"""A small lattice peer for the cross-process tracing test, run as its own Python process.

``python trace_peer.py serve NATS_URL SUBJECT``: answers signed invocations on SUBJECT inside a server span whose
parent comes from the ``traceparent`` header or the Invocation's ``traceContext`` (with a child span for its work),
serves its metrics on 127.0.0.1:0 and prints ``ready <metrics url>``; exits when stdin closes.

``python trace_peer.py call NATS_URL SUBJECT header|map``: sends one invocation inside a client span, carrying the
trace context in the NATS header or in the Invocation's map, prints the reply and exits.

Both export spans as ``OTEL_*`` says; the cluster seed is ``PEER_CLUSTER_SEED``.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

import msgspec
from opentelemetry.trace import SpanKind

from lattice import keys
from lattice.natsconn import NatsOptions, connect
from lattice.observe import propagation as p
from lattice.observe.exposition import MetricsServer
from lattice.observe.listen import ListenAddress
from lattice.observe.metrics import Metrics, Outcome
from lattice.observe.tracing import Tracing, setup_tracing, tracing_settings
from lattice.wire import Invocation, InvocationResponse, WasmCloudEntity, antiforgery

ACTOR = WasmCloudEntity.actor("M" + "A" * 55)
PROVIDER = WasmCloudEntity.provider("V" + "B" * 55, "wasmcloud:keyvalue", "default")
OPERATION = "KeyValue.Increment"
HOST_ID = "N" + "C" * 55


async def serve(nc: Any, subject: str, tracing: Tracing, cluster: keys.KeyPair) -> None:
    metrics = Metrics()

    async def on_msg(msg: Any) -> None:
        started = metrics.clock()
        inv = Invocation.decode(msg.data)
        antiforgery.validate(inv, [cluster.public_key], full_msg=inv.msg)
        parent = p.extract_context(msg.headers, inv.trace_context)
        attrs = p.invocation_attributes(inv.origin, inv.target, inv.operation, host_id=HOST_ID, invocation_id=inv.id)
        with (
            tracing.tracer.start_as_current_span(p.span_name(inv.operation), parent, SpanKind.SERVER, attrs),
            tracing.tracer.start_as_current_span("keyvalue.store"),
        ):
            reply = InvocationResponse(inv.id, b"42", content_length=2)
        await msg.respond(reply.encode())
        metrics.provider_invocation(
            PROVIDER.public_key, PROVIDER.contract_id, "default", OPERATION, Outcome.OK, started
        )

    await nc.subscribe(subject, cb=on_msg)
    await nc.flush()
    async with MetricsServer(metrics, ListenAddress("127.0.0.1", 0)) as server:
        print("ready", server.url, flush=True)
        await asyncio.to_thread(sys.stdin.read)  # until the test closes our stdin


async def call(nc: Any, subject: str, tracing: Tracing, cluster: keys.KeyPair, mode: str) -> None:
    attrs = p.invocation_attributes(ACTOR, PROVIDER, OPERATION, host_id=HOST_ID)
    with tracing.tracer.start_as_current_span(p.span_name(OPERATION), kind=SpanKind.CLIENT, attributes=attrs):
        inv = antiforgery.sign(ACTOR, PROVIDER, OPERATION, b"\x01", cluster, HOST_ID)
        headers = None
        if mode == "header":
            headers = p.with_trace_headers(None)
        else:
            inv = msgspec.structs.replace(inv, trace_context=p.current_carrier())
        reply = await nc.request(subject, inv.encode(), timeout=10, headers=headers)
    print("reply", InvocationResponse.decode(reply.data).msg.decode(), flush=True)


async def main(argv: list[str]) -> None:
    role, url, subject = argv[:3]
    cluster = keys.KeyPair.from_seed(os.environ["PEER_CLUSTER_SEED"])
    tracing = setup_tracing(tracing_settings(os.environ), f"trace-peer-{role}", instance_id=str(os.getpid()))
    nc = await connect(NatsOptions(url=url, name=f"trace peer {role}"), drain_timeout=2)
    try:
        if role == "serve":
            await serve(nc, subject, tracing, cluster)
        else:
            await call(nc, subject, tracing, cluster, argv[3])
    finally:
        await nc.drain()
        tracing.shutdown()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
