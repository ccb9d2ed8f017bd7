"""The example actors on a real lattice: a nats-server, an in-process host, the three bundled providers started by
the host through the control interface, and the committed signed modules from actors-examples/.

Requests go over real HTTP (aiohttp) and real NATS, as ``curl`` and ``nats req`` would send them. One host and its
providers serve every test of this module.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from nats.errors import NoRespondersError

from lattice import keys
from lattice.claims import ActorSpec, read_claims, sign_module
from tests.integration.examples.examples_support import (
    HTTPSERVER,
    KEYVALUE,
    MESSAGING,
    POLL_S,
    PROVIDER_START_S,
    SETTLE_S,
    ExampleLattice,
    example,
    open_lattice,
    provider_pid,
    sigkill,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.asyncio(loop_scope="module")

REQUEST_TIMEOUT_S = 3.0


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def lattice(nats_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ExampleLattice]:
    async with open_lattice(
        nats_url, tmp_path_factory.mktemp("examples-host"), [HTTPSERVER, KEYVALUE, MESSAGING]
    ) as lat:
        yield lat


async def get(lattice: ExampleLattice, url: str) -> tuple[int, dict[str, Any]]:
    """Status and JSON body; a body that is not JSON (the provider's own 5xx text) comes back as ``{"text": …}``."""
    async with lattice.http.get(url) as resp:
        body = await resp.read()
    try:
        return resp.status, json.loads(body)
    except ValueError:
        return resp.status, {"text": body.decode(errors="replace")}


async def get_ok(lattice: ExampleLattice, url: str, timeout_s: float = SETTLE_S) -> dict[str, Any]:
    """GET until 200 (links reach the providers asynchronously); the last answer is in the failure message."""

    async def ok() -> tuple[int, dict[str, Any]] | None:
        answer = await get(lattice, url)
        return answer if answer[0] == 200 else None

    found: tuple[int, dict[str, Any]] = await wait_until(ok, timeout_s, f"GET {url} to answer 200", poll_s=POLL_S)
    return found[1]


async def test_echo_describes_a_binary_post_and_a_get(lattice: ExampleLattice) -> None:
    url = await lattice.serve_http(await lattice.start_actor(example("echo")))
    body = bytes(range(256)) * 3 + b"\x00\xff"
    headers = {"X-Probe": "probe-1", "Content-Type": "application/octet-stream"}
    async with lattice.http.post(f"{url}/a/b?x=1&y=two", data=body, headers=headers) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "application/json"
        posted = json.loads(await resp.read())
    assert (posted["method"], posted["path"], posted["query"], posted["body_size"]) == (
        "POST",
        "/a/b",
        "x=1&y=two",
        len(body),
    )
    sent_headers = {name.lower(): value for name, value in posted["headers"].items()}
    assert sent_headers["x-probe"] == ["probe-1"]
    assert sent_headers["content-type"] == ["application/octet-stream"]

    status, fetched = await get(lattice, f"{url}/hello")
    assert status == 200
    assert (fetched["method"], fetched["path"], fetched["query"], fetched["body_size"]) == ("GET", "/hello", "", 0)


@pytest.mark.slow
async def test_kvcounter_counts_across_requests_and_a_keyvalue_provider_crash(lattice: ExampleLattice) -> None:
    actor = await lattice.start_actor(example("kvcounter"))
    await lattice.link(actor, KEYVALUE, {"bucket": f"{lattice.prefix}_kvcounter"})
    url = await lattice.serve_http(actor)
    first = await get_ok(lattice, f"{url}/visits")
    assert first == {"counter": 1}
    assert [(await get(lattice, f"{url}/visits"))[1]["counter"] for _ in range(3)] == [2, 3, 4]
    assert await get(lattice, f"{url}/other") == (200, {"counter": 1})

    provider = lattice.providers[KEYVALUE]
    pid = provider_pid("wasmlattice_keyvalue")
    started = len(lattice.events.named("provider_started", public_key=provider))
    sigkill(pid)
    (stopped,) = await lattice.events.wait_for("provider_stopped", public_key=provider)
    assert stopped["data"]["reason"] == "killed by SIGKILL"
    await lattice.events.wait_for("provider_started", started + 1, PROVIDER_START_S, public_key=provider)
    assert provider_pid("wasmlattice_keyvalue") != pid

    assert await get_ok(lattice, f"{url}/visits") == {"counter": 5}
    assert await get(lattice, f"{url}/other") == (200, {"counter": 2})
    bucket = await lattice.nc.jetstream().key_value(f"{lattice.prefix}_kvcounter")  # the JetStream backend's data
    assert (await bucket.get("counter=3A/visits")).value == b"5"


async def test_pinger_reaches_ponger_by_call_alias(lattice: ExampleLattice) -> None:
    await lattice.start_actor(example("ponger"))
    url = await lattice.serve_http(await lattice.start_actor(example("pinger")))
    assert await get_ok(lattice, f"{url}/") == {"pong": "pong from ponger"}


async def test_uppercase_replies_to_a_message_on_its_subscription(lattice: ExampleLattice) -> None:
    actor = await lattice.start_actor(example("uppercase"))
    subject = f"{lattice.prefix}.uppercase"
    await lattice.link(actor, MESSAGING, {"SUBSCRIPTION": subject})
    reply = await wait_until(  # the provider subscribes once it has applied the link
        lambda: lattice.nc.request(subject, b"hello, Wasm 42!", timeout=REQUEST_TIMEOUT_S),
        SETTLE_S,
        "the uppercase subscription",
        poll_s=POLL_S,
        retry_on=(NoRespondersError,),
    )
    assert reply.data == b"HELLO, WASM 42!"


async def test_logger_logs_through_the_host_and_returns_guid_and_random(
    lattice: ExampleLattice, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="host.actors.log")
    actor = await lattice.start_actor(example("logger"))
    url = await lattice.serve_http(actor)
    answers = [await get_ok(lattice, f"{url}/some/where?q=1") for _ in range(5)]
    for answer in answers:
        assert set(answer) == {"guid", "random"}
        assert str(uuid.UUID(answer["guid"])) == answer["guid"].lower()
        assert isinstance(answer["random"], int)
        assert 1 <= answer["random"] <= 100
    assert len({a["guid"] for a in answers}) == len(answers)
    lines = [r.getMessage() for r in caplog.records if r.name == "host.actors.log"]
    assert lines.count(f"[{actor}] logger handled /some/where") == len(answers)


async def test_actor_without_the_keyvalue_claim_is_refused_with_a_clear_error(
    lattice: ExampleLattice, tmp_path: Path
) -> None:
    account = keys.KeyPair.create(keys.KeyType.ACCOUNT)
    wasm, claims = sign_module(
        example("kvcounter").read_bytes(), ActorSpec("kvcounter without keyvalue", caps=[HTTPSERVER]), account
    )
    assert read_claims(wasm).metadata.caps == (HTTPSERVER,)
    module = tmp_path / "kvcounter_no_kv.wasm"
    module.write_bytes(wasm)
    actor = await lattice.start_actor(module)
    assert actor == claims.subject
    await lattice.link(actor, KEYVALUE, {"bucket": f"{lattice.prefix}_unclaimed"})
    url = await lattice.serve_http(actor)
    status, answer = await get(lattice, f"{url}/visits")
    assert status == 500
    assert answer == {"error": "Invocation not authorized: missing capability claim for wasmcloud:keyvalue"}
