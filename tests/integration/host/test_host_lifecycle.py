"""Host lifecycle: start/stop events, heartbeats, labels, separate connections, the CLI under SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from host.config import HostConfig
from host.host import Host
from host.state import StateUnavailable
from lattice import keys
from lattice.control.client import ControlClient
from lattice.natsserver import NatsServer, NatsServerConfig
from tests.integration.host.hostcore_support import EventLog, caller, invoke
from tests.support.guests import signed_guest, write_module

REPO = Path(__file__).resolve().parents[3]
CLI_START_TIMEOUT_S = 30.0
CLI_STOP_TIMEOUT_S = 15.0


async def test_started_heartbeat_and_stopped_events(nc: Any, host_config: HostConfig) -> None:
    config = replace(host_config, heartbeat_interval_s=0.2, labels={"zone": "z1"})
    async with EventLog(nc, config.lattice) as log:
        async with Host(config) as host:
            (started,) = await log.wait_for("host_started", timeout_s=5)
            beats = await log.wait_for("host_heartbeat", times=2, timeout_s=5)
        (stopped,) = await log.wait_for("host_stopped", timeout_s=5)
    assert started["source"] == stopped["source"] == host.host_id
    assert started["data"]["friendly_name"] == host.friendly_name
    assert started["data"]["labels"]["zone"] == "z1"
    assert {"hostcore.arch", "hostcore.os", "hostcore.osfamily"} <= set(started["data"]["labels"])
    assert beats[0]["data"]["actors"] == {}
    assert beats[0]["data"]["uptime_human"].endswith("s")
    names = [e["type"].rsplit(".", 1)[1] for e in log.events]
    assert names.index("host_started") < names.index("host_stopped")


async def test_ping_labels_and_the_stop_command(nc: Any, host_config: HostConfig) -> None:
    async with Host(host_config) as host, ControlClient(nc, host_config.lattice) as ctl:
        serving = asyncio.create_task(host.serve_forever())
        await ctl.put_label(host.host_id, "tier", "gold")
        (pinged,) = await ctl.ping_hosts()
        assert pinged.labels["tier"] == "gold"
        assert pinged.friendly_name == host.friendly_name
        await ctl.delete_label(host.host_id, "tier")
        assert "tier" not in host.labels
        await ctl.stop_host(host.host_id)
        await asyncio.wait_for(serving, timeout=5)


async def test_separate_rpc_and_control_connections(
    nc: Any, host_config: HostConfig, account: keys.KeyPair, cluster_key: keys.KeyPair, tmp_path: Path
) -> None:
    config = replace(host_config, ctl_host="localhost")
    assert config.ctl_nats() != config.rpc_nats()
    wasm, claims = signed_guest(account)
    async with Host(config) as host, EventLog(nc, config.lattice) as log:
        await host.commands.launch_actor(write_module(tmp_path, wasm), 1, {})
        await log.wait_for("actors_started")
        assert (await invoke(caller(nc, config.lattice, cluster_key), claims.subject, "Echo.Echo", b"2")).msg == b"2"


async def test_cli_host_runs_until_sigterm(
    nc: Any, nats_url: str, lattice_prefix: str, cluster_key: keys.KeyPair, tmp_path: Path
) -> None:
    env = {**os.environ, "WASMLATTICE_STATE_DIR": str(tmp_path / "state"), "HOST_REGION": "test"}
    argv = [
        sys.executable, "-m", "host",
        "--nats-url", nats_url,
        "--lattice", lattice_prefix,
        "--cluster-seed", cluster_key.seed,
        "--allow-file-load",
        "--label", "zone=cli",
        "--json",
    ]  # fmt: skip
    async with EventLog(nc, lattice_prefix) as log:
        proc = await asyncio.create_subprocess_exec(
            *argv, cwd=REPO, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        try:
            (started,) = await log.wait_for("host_started", timeout_s=CLI_START_TIMEOUT_S)
            assert started["data"]["labels"]["zone"] == "cli"
            assert started["data"]["labels"]["region"] == "test"
            proc.send_signal(signal.SIGTERM)
            await log.wait_for("host_stopped", timeout_s=CLI_STOP_TIMEOUT_S)
            _, stderr = await asyncio.wait_for(proc.communicate(), CLI_STOP_TIMEOUT_S)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    assert proc.returncode == 0
    lines = [json.loads(line) for line in stderr.decode().splitlines() if line.strip()]
    assert any(line["message"].startswith("host ") and "joined lattice" in line["message"] for line in lines)
    assert not any("random cluster key" in line["message"] for line in lines)


async def test_a_server_without_jetstream_is_a_clear_start_error(host_config: HostConfig, tmp_path: Path) -> None:
    server = NatsServer(NatsServerConfig(store_dir=tmp_path / "plain", jetstream=False))
    await server.start_async()
    try:
        with pytest.raises(StateUnavailable, match="is JetStream enabled"):
            async with Host(host_config.with_nats_url(server.url)):
                pass
    finally:
        await server.stop_async()
