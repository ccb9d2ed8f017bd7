"""Run every ``sh`` block of docs/deploy.md in order, as written: the hub's NATS, hosts ``a`` and ``b``, a leaf-node
NATS with the edge host, push, deploy, status, calls, undeploy.

The only rewrites: the registry (``127.0.0.1:5000``) becomes the test's CNCF registry, the NATS ports (4222, 7422,
4223) free ports, ``0.0.0.0`` the loopback address. The first block (the names) is run before every other block,
as a reader sets them in every terminal. Blocks that start with ``# terminal:`` run in the background, each until
it is ready (a port that accepts, a host that answers pings), and are stopped at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lattice.control import ControlClient
from lattice.natsconn import NatsOptions, connect
from tests.integration.oci.registry_server import RegistryServer
from tests.support.ports import free_port
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
GUIDE = ROOT / "docs" / "deploy.md"
BACKGROUND = "# terminal:"
READY_S = 30.0
BLOCK_TIMEOUT_S = 120.0
STOP_WAIT_S = 15.0


def sh_blocks(text: str) -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M)


def rewrite(block: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        block = block.replace(old, new)
    return block


def accepts(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start_background(argv: list[str], cwd: Path, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        return subprocess.Popen(argv, cwd=cwd, env=env, stdout=log, stderr=log, start_new_session=True)


def tail(log: Path) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-3000:]


@pytest.fixture
def background() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    try:
        yield procs
    finally:
        for proc in reversed(procs):  # hosts before the NATS servers they use
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


async def test_the_deploy_guide_runs_as_written(
    registry: RegistryServer, tmp_path: Path, background: list[subprocess.Popen[bytes]]
) -> None:
    hub_port, leaf_port, edge_port = free_port(), free_port(), free_port()
    replacements = {
        "127.0.0.1:5000": registry.address,
        "4222": str(hub_port),
        "7422": str(leaf_port),
        "4223": str(edge_port),
        "0.0.0.0": "127.0.0.1",
    }
    names, *blocks = [rewrite(b, replacements) for b in sh_blocks(GUIDE.read_text(encoding="utf-8"))]
    work = tmp_path / "work"
    work.mkdir()
    (work / "actors-examples").symlink_to(ROOT / "actors-examples", target_is_directory=True)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    outputs: list[str] = []
    hosts_seen = 0
    for number, block in enumerate(blocks, start=2):
        script = f"{names}\n{block}"
        argv = ["bash", "-euo", "pipefail", "-c", script]
        if block.startswith(BACKGROUND):
            background.append(start_background(argv, work, env, tmp_path / f"block-{number}.log"))
            if "nats-server" in block:
                port = int(re.findall(r"listen: [0-9.]+:(\d+)", block)[0])
                await wait_until(lambda port=port: accepts(port), READY_S, f"block {number}: NATS on {port}")
            else:
                hosts_seen += 1
                await wait_for_hosts(hub_port, hosts_seen, tmp_path / f"block-{number}.log")
            continue
        proc = await asyncio.create_subprocess_exec(
            *argv, cwd=work, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await asyncio.wait_for(proc.communicate(), BLOCK_TIMEOUT_S)
        assert proc.returncode == 0, f"block {number} failed:\n{block}\n{out.decode()}\n{err.decode()}"
        outputs.append(out.decode())
    text = "\n".join(outputs)
    assert "oci sha256:" in text  # app status: ponger came from the OCI registry …
    assert "lattice sha256:" in text  # … and pinger from the lattice registry
    assert '"pong from ponger"' in text  # ponger on b answered
    assert '\\"pong\\":\\"pong from ponger\\"' in text  # pinger at the edge called ponger on b
    assert hosts_seen == 3


async def wait_for_hosts(port: int, count: int, log: Path) -> None:
    nc = await connect(NatsOptions(url=f"nats://127.0.0.1:{port}"))
    try:
        async with ControlClient(nc, "default") as ctl:

            async def answered() -> bool:
                return len(await ctl.ping_hosts(timeout_s=0.3)) >= count

            try:
                await wait_until(answered, READY_S, f"{count} host(s) to answer", poll_s=0.1)
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n{tail(log)}") from None
    finally:
        await nc.close()
