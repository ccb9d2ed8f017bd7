"""The HTTP server provider process: real HTTP requests through `python -m wasmlattice_httpserver` to a stand-in
actor (a nats-py subscriber that checks each signed invocation and answers)."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import aiohttp
import pytest
from nats.aio.client import Client

from lattice.interfaces import HttpRequest, HttpResponse
from lattice.provider.claims import module_claims
from lattice.wire import Invocation, LinkDefinition
from tests.support.ports import free_port
from tests.support.providers_harness import (
    LatticeSpec,
    ProviderProcess,
    StandInActor,
    new_actor,
)
from tests.support.waiting import wait_until

MODULE = "wasmlattice_httpserver"
CONTRACT = "wasmcloud:httpserver"
CLIENT_TIMEOUT = aiohttp.ClientTimeout(total=10)
Answer = Callable[[HttpRequest], Awaitable[HttpResponse]]


async def echo(request: HttpRequest) -> HttpResponse:
    summary = {
        "method": request.method,
        "path": request.path,
        "query": request.query_string,
        "x-test": list(request.header.get("x-test", ())),
        "body": request.body.decode(),
    }
    return HttpResponse(200, {"content-type": ("application/json",)}, json.dumps(summary).encode())


@dataclass
class HttpServer:
    proc: ProviderProcess
    nc: Client
    lattice: LatticeSpec

    @property
    def key(self) -> str:
        return self.proc.host_data.provider_key

    def link(self, actor: str, **values: str) -> LinkDefinition:
        return LinkDefinition(actor, self.key, CONTRACT, "default", values)

    async def actor(self, answer: Answer, actor_id: str | None = None) -> StandInActor:
        async def handle(inv: Invocation, payload: bytes) -> bytes:
            assert inv.operation == "HttpServer.HandleRequest"
            return (await answer(HttpRequest.decode(payload))).encode()

        return await StandInActor(self.nc, self.lattice, handle, actor_id).start()


@pytest.fixture
async def server(nc: Client, lattice: LatticeSpec) -> AsyncIterator[HttpServer]:
    proc = ProviderProcess.module(MODULE, lattice.host_data(module_claims(MODULE).subject))
    await proc.start()
    try:
        await proc.wait_ready(nc)
        yield HttpServer(proc, nc, lattice)
    finally:
        await proc.kill()


async def linked(server: HttpServer, answer: Answer, **values: str) -> tuple[StandInActor, str]:
    """A stand-in actor linked with ``values`` (plus a free port unless given); waits until the port answers."""
    actor = await server.actor(answer)
    if not {"port", "PORT", "address", "config_json"} & values.keys():
        values["port"] = str(free_port())
    await server.proc.put_link(server.nc, server.link(actor.actor_id, **values))
    port = values.get("port") or values.get("PORT") or values.get("address", "").rpartition(":")[2]
    if "config_json" in values:
        port = str(json.loads(values["config_json"]).get("port", port))
    url = f"http://127.0.0.1:{port}"
    await wait_until(lambda: listening(int(port)), what=f"listener on {url}")
    return actor, url


async def listening(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


async def test_request_reaches_the_actor_and_its_response_the_client(server: HttpServer) -> None:
    _, url = await linked(server, echo)
    request = {"data": b"payload", "headers": {"X-Test": "t1"}}
    async with (
        aiohttp.ClientSession(timeout=CLIENT_TIMEOUT) as http,
        http.post(f"{url}/a/b?x=1&y=two", **request) as resp,
    ):
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "application/json"
        got = await resp.json()
    assert got == {"method": "POST", "path": "/a/b", "query": "x=1&y=two", "x-test": ["t1"], "body": "payload"}


async def test_status_headers_and_body_from_the_actor(server: HttpServer) -> None:
    async def answer(request: HttpRequest) -> HttpResponse:
        return HttpResponse(201, {"x-multi": ("a", "b"), "content-length": ("999",)}, b"created")

    _, url = await linked(server, answer, PORT=str(free_port()))
    async with aiohttp.ClientSession(timeout=CLIENT_TIMEOUT) as http, http.put(url) as resp:
        assert resp.status == 201
        assert resp.headers.getall("X-Multi") == ["a", "b"]
        assert await resp.read() == b"created"


@pytest.mark.parametrize(
    ("answer_kind", "status"),
    [("error", 500), ("bad-status", 500), ("garbage", 500), ("slow", 503)],
)
async def test_actor_failures_become_5xx(server: HttpServer, answer_kind: str, status: int) -> None:
    async def handle(inv: Invocation, payload: bytes) -> bytes:
        if answer_kind == "error":
            raise RuntimeError("boom")
        if answer_kind == "bad-status":
            return HttpResponse(42).encode()
        if answer_kind == "garbage":
            return b"\xc1\xc1"
        await asyncio.sleep(1.5)
        return HttpResponse(200).encode()

    actor = await StandInActor(server.nc, server.lattice, handle).start()
    port = free_port()
    await server.proc.put_link(server.nc, server.link(actor.actor_id, port=str(port), timeout_ms="500"))
    await wait_until(lambda: listening(port), what="listener")
    async with aiohttp.ClientSession(timeout=CLIENT_TIMEOUT) as http, http.get(f"http://127.0.0.1:{port}/") as resp:
        assert resp.status == status
        text = await resp.text()
    assert "boom" not in text
    assert "Traceback" not in text


async def test_oversized_body_is_413_and_never_reaches_the_actor(server: HttpServer) -> None:
    actor, url = await linked(server, echo, max_content_len="1k")
    async with aiohttp.ClientSession(timeout=CLIENT_TIMEOUT) as http:
        async with http.post(url, data=b"x" * 1025) as resp:
            assert resp.status == 413

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit holds while reading
            for _ in range(3):
                yield b"y" * 600

        async with http.post(url, data=chunks()) as resp:
            assert resp.status == 413
        async with http.post(url, data=b"x" * 1024) as resp:
            assert resp.status == 200
    assert len(actor.received) == 1


async def test_readonly_mode_allows_only_reads(server: HttpServer) -> None:
    _, url = await linked(server, echo, readonly_mode="true")
    async with aiohttp.ClientSession(timeout=CLIENT_TIMEOUT) as http:
        async with http.post(url, data=b"x") as resp:
            assert resp.status == 405
        async with http.get(url) as resp:
            assert resp.status == 200


async def test_cors_preflight_and_response_headers_and_cache_control(server: HttpServer) -> None:
    port = free_port()
    config = {
        "port": port,
        "cors": {"allowed_origins": ["https://app.example"], "exposed_headers": ["x-total"]},
        "cache_control": "max-age=60",
    }
    _, url = await linked(server, echo, config_json=json.dumps(config))
    pre = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    async with aiohttp.ClientSession(timeout=CLIENT_TIMEOUT) as http:
        async with http.options(url, headers=pre) as resp:
            assert resp.status == 204
            assert resp.headers["Access-Control-Allow-Origin"] == "https://app.example"
            assert "POST" in resp.headers["Access-Control-Allow-Methods"]
        async with http.options(url, headers={**pre, "Origin": "https://evil.example"}) as resp:
            assert resp.status == 403
        async with http.get(url, headers={"Origin": "https://app.example"}) as resp:
            assert resp.headers["Access-Control-Allow-Origin"] == "https://app.example"
            assert resp.headers["Access-Control-Expose-Headers"] == "x-total"
            assert resp.headers["Cache-Control"] == "max-age=60"


async def test_tls_listener(server: HttpServer, tls_files: object) -> None:
    port = free_port()
    cert, key, ca = (str(getattr(tls_files, name)) for name in ("server_cert", "server_key", "ca"))
    config = {"address": f"127.0.0.1:{port}", "tls": {"cert_file": cert, "priv_key_file": key}}
    actor = await server.actor(echo)
    await server.proc.put_link(server.nc, server.link(actor.actor_id, config_json=json.dumps(config)))
    await wait_until(lambda: listening(port), what="TLS listener")
    ctx = ssl.create_default_context(cafile=ca)
    async with (
        aiohttp.ClientSession(timeout=CLIENT_TIMEOUT) as http,
        http.get(f"https://127.0.0.1:{port}/s", ssl=ctx) as resp,
    ):
        assert resp.status == 200
        assert (await resp.json())["path"] == "/s"


async def test_port_in_use_refuses_that_link_only(server: HttpServer) -> None:
    _, good_url = await linked(server, echo)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        blocked = await server.actor(echo)
        await server.proc.put_link(server.nc, server.link(blocked.actor_id, port=str(port)))

        async def reported() -> bool:
            return f"address 127.0.0.1:{port} is in use" in ((await server.proc.health(server.nc)).message or "")

        await wait_until(reported, what="port-in-use refusal in health")
    assert f"address 127.0.0.1:{port} is in use" in server.proc.stderr
    async with aiohttp.ClientSession(timeout=CLIENT_TIMEOUT) as http, http.get(good_url) as resp:
        assert resp.status == 200


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"port": "70000"}, "port 70000 is not a port in 1..65535"),
        ({"address": "nowhere"}, "must be IP:PORT"),
        ({"config_json": "{nope"}, "config_json is not JSON"),
        ({"config_b64": "***"}, "config_b64 is not base64"),
        ({"max_content_len": "lots"}, "is not a size"),
        ({"tls_cert_file": "/nonexistent.crt", "tls_priv_key_file": "/nonexistent.key"}, "cannot load TLS"),
        ({"tls_cert_file": "/nonexistent.crt"}, "needs both"),
    ],
)
async def test_unusable_settings_refuse_the_link(server: HttpServer, values: dict[str, str], reason: str) -> None:
    actor = new_actor()
    await server.proc.put_link(server.nc, server.link(actor, **values))

    async def reported() -> bool:
        return reason in ((await server.proc.health(server.nc)).message or "")

    await wait_until(reported, what=f"refusal {reason!r}")


async def test_link_delete_closes_the_listener(server: HttpServer) -> None:
    actor, url = await linked(server, echo)
    port = int(url.rpartition(":")[2])
    await server.proc.del_link(server.nc, server.link(actor.actor_id, port=str(port)))

    async def closed() -> bool:
        return not await listening(port)

    await wait_until(closed, what="listener closed")


async def test_shutdown_closes_listeners_and_exits(server: HttpServer) -> None:
    _, url = await linked(server, echo)
    port = int(url.rpartition(":")[2])
    assert await server.proc.shutdown(server.nc) == b"shutting down"
    assert await server.proc.wait_exit() == 0
    assert not await listening(port)
