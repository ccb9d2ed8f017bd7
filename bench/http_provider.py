"""HTTP requests per second through the httpserver provider vs a bare aiohttp "hello" server, in one run.

The provider path: HTTP client → ``python -m wasmlattice_httpserver`` (its own process) → signed
``HttpServer.HandleRequest`` over a local nats-server → a stand-in actor process (a nats-py subscriber that checks
anti-forgery, decodes the HttpRequest and answers "hello") → back. The baseline: the same client against an aiohttp
low-level server answering "hello" in its own process. Both are loaded with the same number of requests in flight for
the same time; the ratio is provider / baseline.

Run: ``.venv/bin/python bench/http_provider.py [--seconds 4] [--concurrency 32]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from lattice import keys, subjects
from lattice.natsconn import NatsOptions, connect
from lattice.natsserver import NatsServer, NatsServerConfig
from lattice.provider.claims import module_claims
from lattice.subjects import ProviderChannel
from lattice.wire import HEALTH_REQUEST, HostData, LinkDefinition

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.support.ports picks the ports

from tests.support.ports import free_port

LATTICE = "bench"
HELLO = b"hello"
WARMUP_S = 0.5
STARTUP_TIMEOUT_S = 30.0
MODULE = "wasmlattice_httpserver"

ACTOR = """
import asyncio, sys
from lattice.interfaces import HttpRequest, HttpResponse
from lattice.natsconn import NatsOptions, connect
from lattice.wire import Invocation, InvocationResponse, antiforgery
async def main():
    url, subject, issuer = sys.argv[1:4]
    nc = await connect(NatsOptions(url=url))
    async def handle(msg):
        inv = Invocation.decode(msg.data)
        antiforgery.validate(inv, [issuer])
        HttpRequest.decode(inv.msg)
        body = HttpResponse(200, {"content-type": ("text/plain",)}, b"hello").encode()
        await msg.respond(InvocationResponse(inv.id, body, content_length=len(body)).encode())
    await nc.subscribe(subject, queue=subject, cb=handle)
    await nc.flush()
    print("ready", flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""
BASELINE = """
import asyncio, sys
from aiohttp import web
async def hello(request):
    return web.Response(text="hello", content_type="text/plain")
async def main():
    runner = web.ServerRunner(web.Server(hello, access_log=None))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", int(sys.argv[1])).start()
    print("ready", flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""


@contextlib.asynccontextmanager
async def process(*argv: str, stdin: bytes | None = None, wait_ready_line: bool = True) -> AsyncIterator[None]:
    proc = await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    if stdin is not None:
        proc.stdin.write(stdin)
        await proc.stdin.drain()
    proc.stdin.close()
    try:
        if wait_ready_line:
            line = await asyncio.wait_for(proc.stdout.readline(), STARTUP_TIMEOUT_S)
            if line.strip() != b"ready":
                raise RuntimeError(f"{argv[-1][:40]} did not start: {line!r}")
        yield
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


async def wait_http(url: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(url) as resp:
                    if resp.status == 200 and await resp.read() == HELLO:
                        return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} never answered 'hello'")


async def load(url: str, seconds: float, concurrency: int) -> float:
    """Requests per second over ``seconds`` with ``concurrency`` requests in flight (after a warm-up)."""
    count = 0
    errors = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker(until: float, counting: bool) -> None:
            nonlocal count, errors
            while time.monotonic() < until:
                async with http.get(url) as resp:
                    ok = resp.status == 200 and await resp.read() == HELLO
                if counting:
                    count += ok
                    errors += not ok

        warm = time.monotonic() + WARMUP_S
        await asyncio.gather(*(worker(warm, False) for _ in range(concurrency)))
        start = time.monotonic()
        await asyncio.gather(*(worker(start + seconds, True) for _ in range(concurrency)))
        elapsed = time.monotonic() - start
    if errors:
        raise RuntimeError(f"{errors} bad responses from {url}")
    return count / elapsed


async def provider_rps(nats_url: str, seconds: float, concurrency: int) -> float:
    cluster = keys.KeyPair.create(keys.KeyType.CLUSTER)
    actor = keys.KeyPair.create(keys.KeyType.MODULE).public_key
    provider_key = module_claims(MODULE).subject
    port = free_port()
    link = LinkDefinition(actor, provider_key, "wasmcloud:httpserver", "default", {"port": str(port)})
    host_data = HostData(
        host_id=keys.KeyPair.create(keys.KeyType.SERVER).public_key,
        lattice_rpc_prefix=LATTICE,
        link_name="default",
        provider_key=provider_key,
        invocation_seed=cluster.seed,
        lattice_rpc_url=nats_url,
        cluster_issuers=(cluster.public_key,),
        link_definitions=(link,),
        log_level="warning",
    )
    actor_argv = (sys.executable, "-c", ACTOR, nats_url, subjects.actor_rpc(LATTICE, actor), cluster.public_key)
    async with (
        process(*actor_argv),
        process(sys.executable, "-m", MODULE, stdin=host_data.encode_line(), wait_ready_line=False),
    ):
        await wait_health(nats_url, provider_key)
        url = f"http://127.0.0.1:{port}/bench"
        await wait_http(url)
        return await load(url, seconds, concurrency)


async def wait_health(nats_url: str, provider_key: str) -> None:
    nc = await connect(NatsOptions(url=nats_url))
    subject = subjects.provider_channel(LATTICE, provider_key, "default", ProviderChannel.HEALTH)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                await nc.request(subject, HEALTH_REQUEST, timeout=0.5)
                return
            await asyncio.sleep(0.1)
        raise RuntimeError("the httpserver provider never answered a health check")
    finally:
        await nc.close()


async def baseline_rps(seconds: float, concurrency: int) -> float:
    port = free_port()
    async with process(sys.executable, "-c", BASELINE, str(port)):
        url = f"http://127.0.0.1:{port}/bench"
        await wait_http(url)
        return await load(url, seconds, concurrency)


async def main(seconds: float, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with NatsServer(NatsServerConfig(store_dir=Path(tmp), jetstream=False)) as server:
            baseline = await baseline_rps(seconds, concurrency)
            provider = await provider_rps(server.url, seconds, concurrency)
    print(f"bare aiohttp hello server:        {baseline:9.0f} req/s")
    print(f"httpserver provider → actor:      {provider:9.0f} req/s")
    print(f"ratio provider / baseline:        {provider / baseline:9.2f}  ({concurrency} in flight, {seconds:g}s each)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.concurrency))
