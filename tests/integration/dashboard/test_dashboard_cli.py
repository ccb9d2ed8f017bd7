"""``lattice dashboard`` as a process: it prints its URL and serves the page; a port in use is a clear error."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys

import aiohttp

START_S = 30.0


async def dashboard(*argv: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "lattice.cli.main", "dashboard", *argv,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_the_command_prints_its_url_and_serves_the_page(nats_url: str, lattice_prefix: str) -> None:
    proc = await dashboard("--nats-url", nats_url, "-x", lattice_prefix, "--addr", "127.0.0.1:0")
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(START_S):
            line = (await proc.stdout.readline()).decode()
        assert f"dashboard of lattice {lattice_prefix!r}" in line, line
        url = line.rsplit(" ", 1)[1].strip()
        async with aiohttp.ClientSession() as http, http.get(url) as resp:
            assert resp.status == 200
            assert "<title>wasmlattice dashboard</title>" in await resp.text()
    finally:
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(START_S):
            assert await proc.wait() == 0


async def test_a_port_in_use_is_a_clear_error(nats_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = await dashboard("--nats-url", nats_url, "--addr", f"127.0.0.1:{port}")
        async with asyncio.timeout(START_S):
            _, err = await proc.communicate()
    assert proc.returncode == 1
    assert f"error: cannot serve the dashboard on 127.0.0.1:{port}: the port is in use" in err.decode()


async def test_a_bad_address_is_a_usage_error() -> None:
    proc = await dashboard("--addr", "nowhere")
    async with asyncio.timeout(START_S):
        _, err = await proc.communicate()
    assert proc.returncode == 2
    assert "--addr: expected HOST:PORT" in err.decode()
