"""Trace context crosses real processes through a real NATS: a caller process and a server process export to a test
OTLP receiver, and the decoded spans form one trace with the server span the child of the caller's span."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from lattice import keys
from lattice.observe import propagation as p
from tests.integration.observe.otlp_receiver import OtlpReceiver, ReceivedSpan

PEER = Path(__file__).with_name("trace_peer.py")
PROCESS_TIMEOUT_S = 60.0
SPAN_KIND_SERVER, SPAN_KIND_CLIENT = 2, 3


def peer_env(receiver: OtlpReceiver, cluster: keys.KeyPair) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env |= {
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "50",
        "PEER_CLUSTER_SEED": cluster.seed,
    }
    return env


async def run_caller(nats_url: str, subject: str, mode: str, env: dict[str, str]) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(PEER), "call", nats_url, subject, mode, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(PROCESS_TIMEOUT_S):
        out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode()


def one(spans: list[ReceivedSpan], service: str, name: str) -> ReceivedSpan:
    found = [s for s in spans if s.service == service and s.name == name]
    assert len(found) == 1, f"expected one {name} span from {service}, got {found}"
    return found[0]


@pytest.mark.parametrize("mode", ["header", "map"])
async def test_one_trace_spans_two_processes(nats_url: str, otlp_receiver: OtlpReceiver, mode: str) -> None:
    cluster = keys.KeyPair.create(keys.KeyType.CLUSTER)
    env = peer_env(otlp_receiver, cluster)
    subject = f"t{secrets.token_hex(5)}.peer"
    server = await asyncio.create_subprocess_exec(
        sys.executable, str(PEER), "serve", nats_url, subject, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert server.stdin is not None
    assert server.stdout is not None
    try:
        async with asyncio.timeout(PROCESS_TIMEOUT_S):
            ready = (await server.stdout.readline()).decode().split()
        assert ready[:1] == ["ready"], ready
        assert "reply 42" in await run_caller(nats_url, subject, mode, env)

        def complete(spans: list[ReceivedSpan]) -> bool:
            return {s.service for s in spans} >= {"trace-peer-serve", "trace-peer-call"} and len(spans) >= 3

        await otlp_receiver.wait_for(complete)
        async with aiohttp.ClientSession() as http, http.get(ready[1]) as resp:
            scraped = await resp.text()
    finally:
        server.stdin.close()
        async with asyncio.timeout(PROCESS_TIMEOUT_S):
            await server.wait()

    spans = otlp_receiver.spans
    client = one(spans, "trace-peer-call", "KeyValue.Increment")
    served = one(spans, "trace-peer-serve", "KeyValue.Increment")
    work = one(spans, "trace-peer-serve", "keyvalue.store")
    assert (client.kind, served.kind) == (SPAN_KIND_CLIENT, SPAN_KIND_SERVER)
    assert client.trace_id == served.trace_id == work.trace_id
    assert client.parent_span_id == ""
    assert served.parent_span_id == client.span_id
    assert work.parent_span_id == served.span_id
    assert client.resource["service.instance.id"] != served.resource["service.instance.id"]
    assert served.attributes[p.ATTR_ACTOR] == "M" + "A" * 55
    assert served.attributes[p.ATTR_PROVIDER] == "V" + "B" * 55
    assert served.attributes[p.ATTR_CONTRACT] == "wasmcloud:keyvalue"
    assert served.attributes[p.ATTR_LINK_NAME] == "default"
    assert served.attributes[p.ATTR_HOST] == "N" + "C" * 55
    assert served.attributes[p.ATTR_INVOCATION_ID]

    counted = {
        s.labels["operation"]: s.value
        for f in text_string_to_metric_families(scraped)
        for s in f.samples
        if s.name == "wasmlattice_provider_invocations_total"
    }
    assert counted == {"KeyValue.Increment": 1.0}
