"""Actors on a real host: launch (method and ctl subject), invoke, claims in the bucket, stop, scale, share load."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from host.config import HostConfig
from host.control.target import CommandRejected
from host.host import Host
from host.rpc_events import RpcEventMode
from lattice import keys, subjects
from lattice.control.client import ControlClient
from lattice.rpc import RpcTimeout
from tests.integration.host.hostcore_support import EventLog, caller, invoke
from tests.support.guests import signed_guest, write_module
from tests.support.waiting import wait_until


async def test_launch_actor_then_invoke_it(
    nc: Any, host_config: HostConfig, account: keys.KeyPair, cluster_key: keys.KeyPair, tmp_path: Path
) -> None:
    wasm, claims = signed_guest(account, caps=["wasmcloud:builtin:logging"], call_alias="echoer")
    ref = write_module(tmp_path, wasm)
    async with Host(host_config) as host, EventLog(nc, host_config.lattice) as log:
        await host.commands.launch_actor(ref, 2, {"app": "demo"})
        started = await log.wait_for("actor_started", times=2, public_key=claims.subject)
        (batch,) = await log.wait_for("actors_started", public_key=claims.subject)
        assert batch["data"]["count"] == 2
        assert batch["data"]["claims"]["call_alias"] == "echoer"
        assert {e["data"]["annotations"]["app"] for e in started} == {"demo"}
        response = await invoke(caller(nc, host_config.lattice, cluster_key), claims.subject, "Echo.Echo", b"ping")
        assert (response.error, response.msg) == (None, b"ping")
        (info,) = host.commands.actors()
        assert (info.id, info.image_ref, len(info.instances)) == (claims.subject, ref, 2)


async def test_launch_through_the_control_subject(
    nc: Any, host_config: HostConfig, account: keys.KeyPair, cluster_key: keys.KeyPair, tmp_path: Path
) -> None:
    wasm, claims = signed_guest(account)
    ref = write_module(tmp_path, wasm)
    async with Host(host_config) as host, EventLog(nc, host_config.lattice) as log:
        async with ControlClient(nc, host_config.lattice) as ctl:
            (pinged,) = await ctl.ping_hosts()
            assert pinged.id == host.host_id
            await ctl.start_actor(host.host_id, ref)
            await log.wait_for("actors_started", public_key=claims.subject)
            inventory = await ctl.get_inventory(host.host_id)
            assert [a.id for a in inventory.actors] == [claims.subject]
        response = await invoke(caller(nc, host_config.lattice, cluster_key), claims.subject, "Echo.Echo", b"x")
        assert response.msg == b"x"


async def test_claims_and_refmap_are_written_to_the_bucket(
    nc: Any, host_config: HostConfig, account: keys.KeyPair, tmp_path: Path
) -> None:
    wasm, claims = signed_guest(account, caps=["a:b", "c:d"], rev=7, call_alias="named")
    ref = write_module(tmp_path, wasm)
    async with Host(host_config) as host, EventLog(nc, host_config.lattice) as log:
        await host.commands.launch_actor(ref, 1, {})
        await log.wait_for("actors_started")
        await log.wait_for("refmap_set", public_key=claims.subject)
        kv = await nc.jetstream().key_value(subjects.lattice_bucket(host_config.lattice))
        record = json.loads((await kv.get(subjects.claims_key(claims.subject))).value)
        assert record == {
            "call_alias": "named",
            "iss": account.public_key,
            "name": claims.metadata.name,
            "caps": "a:b,c:d",
            "rev": "7",
            "tags": "",
            "version": "",
            "sub": claims.subject,
            "contract_id": "",
        }
        refmap = json.loads((await kv.get(subjects.refmap_key(ref))).value)
        assert refmap == {"oci_url": ref, "public_key": claims.subject}
        assert record in host.commands.claims()


async def test_stop_by_count_and_annotations(
    nc: Any, host_config: HostConfig, account: keys.KeyPair, cluster_key: keys.KeyPair, tmp_path: Path
) -> None:
    wasm, claims = signed_guest(account)
    ref = write_module(tmp_path, wasm)
    pk = claims.subject
    async with Host(host_config) as host, EventLog(nc, host_config.lattice) as log:
        await host.commands.launch_actor(ref, 2, {"v": "1"})
        await log.wait_for("actors_started", times=1)
        await host.commands.launch_actor(ref, 1, {"v": "2"})
        await log.wait_for("actors_started", times=2)
        assert len(host.commands.actors()[0].instances) == 3
        await host.commands.stop_actor(pk, 0, {"v": "1"})
        (stopped,) = await log.wait_for("actors_stopped", public_key=pk)
        assert (stopped["data"]["count"], stopped["data"]["remaining"]) == (2, 1)
        assert len(await log.wait_for("actor_stopped", times=2, public_key=pk)) == 2
        rpc = caller(nc, host_config.lattice, cluster_key)
        assert (await invoke(rpc, pk, "Echo.Echo", b"still")).msg == b"still"
        await host.commands.stop_actor(pk, 0, {})
        await log.wait_for("actors_stopped", public_key=pk, remaining=0)
        assert host.commands.actors() == []
        with pytest.raises(CommandRejected, match="not running"):
            await host.commands.stop_actor(pk, 1, {})
        with pytest.raises(RpcTimeout):
            await invoke(caller(nc, host_config.lattice, cluster_key, timeout_ms=300), pk, "Echo.Echo", b"")


async def test_scale_up_and_down(nc: Any, host_config: HostConfig, account: keys.KeyPair, tmp_path: Path) -> None:
    wasm, claims = signed_guest(account)
    ref = write_module(tmp_path, wasm)
    async with Host(host_config) as host, EventLog(nc, host_config.lattice) as log:
        await host.commands.scale_actor(claims.subject, ref, 3, {})
        await log.wait_for("actors_started", public_key=claims.subject)
        await wait_until(lambda: sum(len(a.instances) for a in host.commands.actors()) == 3)
        await host.commands.scale_actor(claims.subject, ref, 1, {})
        await log.wait_for("actors_stopped", public_key=claims.subject, count=2)
        await wait_until(lambda: sum(len(a.instances) for a in host.commands.actors()) == 1)
        await host.commands.scale_actor(claims.subject, ref, 0, {})
        await wait_until(lambda: host.commands.actors() == [])


async def test_file_loading_must_be_allowed(host_config: HostConfig, account: keys.KeyPair, tmp_path: Path) -> None:
    ref = write_module(tmp_path, signed_guest(account)[0])
    async with Host(replace(host_config, allow_file_load=False)) as host:
        with pytest.raises(CommandRejected, match="disabled"):
            await host.commands.launch_actor(ref, 1, {})
        with pytest.raises(CommandRejected, match=re.escape("cannot load 'bindle://echo/1.0'")):
            await host.commands.launch_actor("bindle://echo/1.0", 1, {})
        assert host.commands.actors() == []


async def test_two_hosts_share_the_load(
    nc: Any, host_config: HostConfig, account: keys.KeyPair, cluster_key: keys.KeyPair, tmp_path: Path
) -> None:
    wasm, claims = signed_guest(account)
    ref = write_module(tmp_path, wasm)
    lattice = host_config.lattice
    async with Host(host_config) as one, Host(host_config) as two, EventLog(nc, lattice) as log:
        await one.commands.launch_actor(ref, 1, {})
        await two.commands.launch_actor(ref, 1, {})
        await log.wait_for("actors_started", times=2)
        async with EventLog(nc, lattice, subjects.rpc_events(lattice)) as results:
            rpc = caller(nc, lattice, cluster_key)
            answers = await asyncio.gather(*(invoke(rpc, claims.subject, "Echo.Echo", b"%d" % i) for i in range(60)))
            assert [a.msg for a in answers] == [b"%d" % i for i in range(60)]
            await results.wait_until(lambda events: sum(served_by(events).values()) >= 60)
        served = served_by(results.events)
        assert set(served) == {one.host_id, two.host_id}
        assert sum(served.values()) == 60


async def test_a_host_can_report_every_invocation_as_otp_does(
    nc: Any, host_config: HostConfig, account: keys.KeyPair, cluster_key: keys.KeyPair, tmp_path: Path
) -> None:
    wasm, claims = signed_guest(account)
    lattice = host_config.lattice
    async with Host(replace(host_config, rpc_events=RpcEventMode.EACH)) as host, EventLog(nc, lattice) as log:
        await host.commands.launch_actor(write_module(tmp_path, wasm), 1, {})
        await log.wait_for("actors_started")
        async with EventLog(nc, lattice, subjects.rpc_events(lattice)) as results:
            rpc = caller(nc, lattice, cluster_key)
            assert (await invoke(rpc, claims.subject, "Echo.Echo", b"hi")).msg == b"hi"
            assert (await invoke(rpc, claims.subject, "Echo.Fail", b"no")).error == "no"
            [ok] = await results.wait_for("invocation_succeeded")
            [failed] = await results.wait_for("invocation_failed")
        assert (ok["source"], ok["data"]["operation"], ok["data"]["bytes"]) == (host.host_id, "Echo.Echo", 2)
        assert (failed["data"]["dest"]["public_key"], failed["data"]["operation"]) == (claims.subject, "Echo.Fail")
        assert not results.named("invocation_counts")


def served_by(events: list[dict[str, Any]]) -> dict[str, int]:
    """Invocations each host reported as succeeded in its ``invocation_counts`` summaries."""
    out: dict[str, int] = {}
    for event in events:
        if event["type"] == subjects.event_type("invocation_counts"):
            out[event["source"]] = out.get(event["source"], 0) + sum(r["succeeded"] for r in event["data"]["counts"])
    return out


async def test_scale_from_nothing_checks_the_named_actor(
    nc: Any, host_config: HostConfig, account: keys.KeyPair, tmp_path: Path
) -> None:
    wasm, claims = signed_guest(account)
    ref = write_module(tmp_path, wasm)
    wanted = keys.KeyPair.create(keys.KeyType.MODULE).public_key
    async with Host(host_config) as host, EventLog(nc, host_config.lattice) as log:
        await host.commands.scale_actor(wanted, ref, 1, {})
        (failed,) = await log.wait_for("actors_start_failed")
        assert failed["data"]["error"] == f"{ref}: the module is actor {claims.subject}, not {wanted}"
        assert host.commands.actors() == []
        with pytest.raises(CommandRejected, match="outside 1"):
            await host.commands.launch_actor(ref, 0, {})
