"""RpcEvents: invocation events one per invocation (OTP's), summarised per interval (the default), or none."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from nats.aio.client import Client

from host import rpc_events
from host.config import ConfigError, HostConfig, from_env
from host.rpc_events import RpcEventMode, RpcEvents
from lattice import subjects
from lattice.wire import WasmCloudEntity

A = WasmCloudEntity.actor("MA" + "A" * 54)
B = WasmCloudEntity.actor("MB" + "B" * 54)
P = WasmCloudEntity.provider("VP" + "P" * 54, "wasmcloud:keyvalue", "default")


async def rpc_sub(nc: Client, lattice: str) -> Any:
    sub = await nc.subscribe(subjects.rpc_events(lattice))
    await nc.flush()
    return sub


async def next_event(sub: Any) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((await sub.next_msg(timeout=5)).data)
    return event


async def test_a_summary_counts_per_source_destination_and_operation(nc: Client, lattice_prefix: str) -> None:
    sub = await rpc_sub(nc, lattice_prefix)
    events = RpcEvents(nc, lattice_prefix, "NHOST", RpcEventMode.SUMMARY, interval_s=60)
    for ok, size in ((True, 16), (True, 4), (False, 1)):
        await events.result(ok, A, B, "Echo.Echo", size)
    await events.result(True, B, P, "KeyValue.Get", 7)
    await nc.flush()
    with pytest.raises(asyncio.TimeoutError):
        await sub.next_msg(timeout=0.2)  # nothing is sent per invocation
    await events.flush()
    event = await next_event(sub)
    assert (event["type"], event["source"]) == ("com.wasmcloud.lattice.invocation_counts", "NHOST")
    assert event["data"] == {
        "interval_ms": 60_000,
        "counts": [
            {"source": A.to_wire(), "dest": B.to_wire(), "operation": "Echo.Echo", "succeeded": 2, "failed": 1,
             "bytes": 21},
            {"source": B.to_wire(), "dest": P.to_wire(), "operation": "KeyValue.Get", "succeeded": 1, "failed": 0,
             "bytes": 7},
        ],
    }  # fmt: skip
    await events.flush()  # nothing new: nothing sent
    await nc.flush()
    with pytest.raises(asyncio.TimeoutError):
        await sub.next_msg(timeout=0.2)


async def test_the_summary_goes_out_every_interval_and_once_more_on_stop(nc: Client, lattice_prefix: str) -> None:
    sub = await rpc_sub(nc, lattice_prefix)
    events = RpcEvents(nc, lattice_prefix, "NHOST", RpcEventMode.SUMMARY, interval_s=0.05)
    running = asyncio.ensure_future(events.run())
    await events.result(True, A, B, "Op.One", 1)
    assert (await next_event(sub))["data"]["counts"][0]["operation"] == "Op.One"
    await events.result(False, A, B, "Op.Two", 1)
    running.cancel()  # before the next interval, most likely: the last summary goes out on stop
    await asyncio.gather(running, return_exceptions=True)
    rows = (await next_event(sub))["data"]["counts"]
    assert rows == [{"source": A.to_wire(), "dest": B.to_wire(), "operation": "Op.Two", "succeeded": 0, "failed": 1,
                     "bytes": 1}]  # fmt: skip


async def test_too_many_rows_send_a_summary_early(nc: Client, lattice_prefix: str, monkeypatch: Any) -> None:
    monkeypatch.setattr(rpc_events, "MAX_ROWS", 3)
    sub = await rpc_sub(nc, lattice_prefix)
    events = RpcEvents(nc, lattice_prefix, "NHOST", RpcEventMode.SUMMARY, interval_s=60)
    for n in range(4):
        await events.result(True, A, B, f"Op.{n}", 1)
    assert [row["operation"] for row in (await next_event(sub))["data"]["counts"]] == ["Op.0", "Op.1", "Op.2"]
    await events.flush()
    assert [row["operation"] for row in (await next_event(sub))["data"]["counts"]] == ["Op.3"]


async def test_each_mode_sends_otps_event_per_invocation(nc: Client, lattice_prefix: str) -> None:
    sub = await rpc_sub(nc, lattice_prefix)
    events = RpcEvents(nc, lattice_prefix, "NHOST", RpcEventMode.EACH)
    await events.result(True, A, P, "KeyValue.Get", 5)
    await events.result(False, A, P, "KeyValue.Set", 6)
    first, second = await next_event(sub), await next_event(sub)
    assert first["type"] == "com.wasmcloud.lattice.invocation_succeeded"
    assert first["data"] == {"source": A.to_wire(), "dest": P.to_wire(), "operation": "KeyValue.Get", "bytes": 5}
    assert second["type"] == "com.wasmcloud.lattice.invocation_failed"


async def test_off_sends_nothing(nc: Client, lattice_prefix: str) -> None:
    sub = await rpc_sub(nc, lattice_prefix)
    events = RpcEvents(nc, lattice_prefix, "NHOST", RpcEventMode.OFF)
    await events.result(True, A, B, "Echo.Echo", 1)
    await events.flush()
    await events.run()  # returns at once
    await nc.flush()
    with pytest.raises(asyncio.TimeoutError):
        await sub.next_msg(timeout=0.2)


def test_the_mode_is_a_setting() -> None:
    assert HostConfig().rpc_events is RpcEventMode.SUMMARY
    assert from_env({"WASMLATTICE_RPC_EVENTS": " Each "}).rpc_events is RpcEventMode.EACH
    with pytest.raises(ConfigError, match="summary, each, off"):
        from_env({"WASMLATTICE_RPC_EVENTS": "sometimes"})
    with pytest.raises(ConfigError, match="rpc_events_interval_s"):
        HostConfig(rpc_events_interval_s=0)
