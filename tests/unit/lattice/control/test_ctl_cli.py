"""The ``lattice ctl``/``events``/``call`` commands in process (main() in a worker thread) against a real
ControlServer over real NATS, with the recording host double; the real host is driven in tests/integration/control.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from nats.aio.client import Client

from host.control.server import ControlServer
from lattice import keys, subjects
from lattice.cli import output
from lattice.cli.main import main
from lattice.control import LatticeEvent
from lattice.wire import InvocationResponse, antiforgery
from lattice.wire.invocation import Invocation
from tests.unit.host.control.control_target import RecordingTarget


@pytest.fixture
async def host(nc: Client, lattice_prefix: str, target: RecordingTarget) -> Any:
    target.events_nc = nc
    async with ControlServer(nc, lattice_prefix, target):
        yield target


class Cli:
    def __init__(self, nats_url: str, lattice: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.flags = ["--nats-url", nats_url, "-x", lattice, "--gather-timeout", "0.3"]
        self.capsys = capsys

    async def __call__(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = await asyncio.to_thread(main, [*argv, *self.flags])
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def cli(nats_url: str, lattice_prefix: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(nats_url, lattice_prefix, capsys)


async def test_get_hosts_text_and_json(cli: Cli, host: RecordingTarget) -> None:
    code, out, _ = await cli("ctl", "get", "hosts")
    assert code == output.EXIT_OK
    assert host.host_id in out
    assert "quiet-otter-12" in out
    code, out, _ = await cli("ctl", "get", "hosts", "--json")
    assert [h["id"] for h in json.loads(out)] == [host.host_id]


async def test_get_hosts_without_hosts_says_what_to_do(cli: Cli, lattice_prefix: str) -> None:
    code, out, err = await cli("ctl", "get", "hosts")
    assert code == output.EXIT_FAILURE
    assert out == ""
    assert f"no host answered on lattice '{lattice_prefix}'" in err
    assert "lattice up" in err


async def test_start_actor_by_auction_and_wait(cli: Cli, host: RecordingTarget) -> None:
    code, out, err = await cli(
        "ctl", "start", "actor", "file:///echo.wasm", "--count", "2", "--constraint", "zone=east", "--wait", "5"
    )
    assert code == output.EXIT_OK, err
    assert f"started 2 instance(s) of file:///echo.wasm on host {host.host_id}" in out
    assert "auctioning file:///echo.wasm" in err
    assert err.count("actor_started") == 2
    assert host.called("launch_actor") == [("file:///echo.wasm", 2, {})]


async def test_start_actor_json_lists_the_awaited_events(cli: Cli, host: RecordingTarget) -> None:
    code, out, _ = await cli(
        "ctl", "start", "actor", "file:///echo.wasm", "--host", "quiet-otter-12", "--wait", "--json"
    )
    body = json.loads(out)
    assert (code, body["accepted"], body["host_id"]) == (output.EXIT_OK, True, host.host_id)
    assert [e["type"] for e in body["events"]] == ["com.wasmcloud.lattice.actor_started"]


async def test_start_actor_when_no_host_matches(cli: Cli, host: RecordingTarget) -> None:
    code, _, err = await cli("ctl", "start", "actor", "file:///echo.wasm", "--constraint", "zone=mars")
    assert code == output.EXIT_FAILURE
    assert "no host on lattice" in err
    assert "lattice ctl get hosts" in err
    assert host.calls == []


async def test_refusal_is_reported_with_the_hosts_reason(cli: Cli, host: RecordingTarget) -> None:
    host.reject = "file loading is disabled on this host"
    code, _, err = await cli("ctl", "start", "actor", "file:///echo.wasm", "--host", host.host_id)
    assert code == output.EXIT_FAILURE
    assert err.startswith("error: host ")
    assert "file loading is disabled" in err


async def test_inventory_links_and_labels(cli: Cli, host: RecordingTarget) -> None:
    await host.launch_actor("file:///echo.wasm", 1, {})
    code, out, _ = await cli("ctl", "get", "inventory", host.host_id[:10], "--json")
    assert json.loads(out)["actors"][0]["id"] == host.actor_key
    code, out, _ = await cli("ctl", "get", "inventory")
    assert "file:///echo.wasm" in out
    code, _, _ = await cli(
        "ctl", "link", "put", host.actor_key, host.provider_key, "wasmcloud:keyvalue", "url=redis://x", "--force"
    )
    assert code == output.EXIT_OK
    code, out, _ = await cli("ctl", "link", "query", "--json")
    assert json.loads(out)[0]["values"] == {"url": "redis://x"}
    code, _, _ = await cli("ctl", "link", "del", host.actor_key, "wasmcloud:keyvalue")
    assert host.stored_links == {}
    code, out, _ = await cli("ctl", "label", "put", host.host_id, "tier=gold")
    assert (code, host.labels["tier"]) == (output.EXIT_OK, "gold")
    code, out, _ = await cli("ctl", "label", "del", host.host_id, "tier", "--json")
    assert json.loads(out) == {"accepted": True, "host_id": host.host_id, "key": "tier"}


async def test_stop_host_waits_for_host_stopped(cli: Cli, host: RecordingTarget) -> None:
    code, out, err = await cli("ctl", "stop", "host", host.host_id, "--wait", "5")
    assert code == output.EXIT_OK, err
    assert out.startswith("stopped host")
    assert "host_stopped" in err


async def test_bad_provider_config_json_is_a_usage_error(cli: Cli, host: RecordingTarget) -> None:
    code, _, err = await cli("ctl", "start", "provider", "kv.par", "--config", "{nope", "--host", host.host_id)
    assert code == output.EXIT_USAGE
    assert "--config is not valid JSON" in err


async def test_unreachable_nats_exits_with_exit_unreachable(
    capsys: pytest.CaptureFixture[str], lattice_prefix: str
) -> None:
    code = await asyncio.to_thread(
        main, ["ctl", "get", "hosts", "--nats-url", "nats://127.0.0.1:1", "-x", lattice_prefix]
    )
    assert code == output.EXIT_UNREACHABLE
    assert "could not reach NATS at nats://127.0.0.1:1" in capsys.readouterr().err


async def test_events_prints_filtered_events_as_json_lines(cli: Cli, nc: Client, lattice_prefix: str) -> None:
    async def publish() -> None:
        await asyncio.sleep(0.5)
        for name in ("host_heartbeat", "actor_started"):
            event = LatticeEvent(name, "NHOST", "1", "2026-01-01T00:00:00Z", {"public_key": "MA"})
            await nc.publish(subjects.events(lattice_prefix), event.encode())

    sender = asyncio.create_task(publish())
    code, out, _ = await cli("events", "--filter", "actor_started", "--count", "1", "--json", "--for", "5")
    await sender
    assert code == output.EXIT_OK
    assert json.loads(out)["type"] == "com.wasmcloud.lattice.actor_started"


async def test_events_count_not_reached_in_time_is_a_timeout(cli: Cli) -> None:
    code, _, err = await cli("events", "--count", "1", "--for", "0.3")
    assert code == output.EXIT_TIMEOUT
    assert "saw 0 of 1 events" in err


async def test_call_rejects_bad_json_with_a_usage_error(cli: Cli) -> None:
    cluster = keys.KeyPair.create(keys.KeyType.CLUSTER)
    actor = keys.KeyPair.create(keys.KeyType.MODULE).public_key
    code, _, err = await cli("call", actor, "Echo.Say", "{bad", "--cluster-seed", cluster.seed)
    assert code == output.EXIT_USAGE
    assert "not valid JSON" in err
    assert "--raw" in err


async def test_call_needs_a_cluster_seed(cli: Cli) -> None:
    code, _, err = await cli("call", keys.KeyPair.create(keys.KeyType.MODULE).public_key, "Echo.Say", "{}")
    assert code == output.EXIT_USAGE
    assert "WASMCLOUD_CLUSTER_SEED" in err


async def test_call_signs_the_invocation_and_converts_json(cli: Cli, nc: Client, lattice_prefix: str) -> None:
    cluster = keys.KeyPair.create(keys.KeyType.CLUSTER)
    actor = keys.KeyPair.create(keys.KeyType.MODULE).public_key

    async def answer(msg: Any) -> None:  # an actor stand-in that checks the anti-forgery token, then echoes
        inv = Invocation.decode(msg.data)
        antiforgery.validate(inv, [cluster.public_key])
        await msg.respond(InvocationResponse(inv.id, inv.msg).encode())

    sub = await nc.subscribe(subjects.actor_rpc(lattice_prefix, actor), cb=answer)
    code, out, err = await cli("call", actor, "Echo.Say", '{"text": "hi", "n": [1, 2]}', "--cluster-seed", cluster.seed)
    await sub.unsubscribe()
    assert code == output.EXIT_OK, err
    assert json.loads(out) == {"text": "hi", "n": [1, 2]}


async def test_call_resolves_a_call_alias_from_the_claims(cli: Cli, nc: Client, host: RecordingTarget) -> None:
    cluster = keys.KeyPair.create(keys.KeyType.CLUSTER)
    host.stored_claims.append({"sub": host.actor_key, "call_alias": "greeter", "name": "Greeter"})

    async def answer(msg: Any) -> None:
        inv = Invocation.decode(msg.data)
        await msg.respond(InvocationResponse(inv.id, b"\xa2ok").encode())

    sub = await nc.subscribe(subjects.actor_rpc(host.lattice, host.actor_key), cb=answer)
    code, out, err = await cli("call", "greeter", "Greet.Hello", "--cluster-seed", cluster.seed, "--json")
    await sub.unsubscribe()
    assert code == output.EXIT_OK, err
    assert json.loads(out) == {"actor_id": host.actor_key, "operation": "Greet.Hello", "result": "ok"}
