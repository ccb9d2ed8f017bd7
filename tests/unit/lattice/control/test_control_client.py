"""The control client against the real server (in process, real NATS), and its errors without one."""

from __future__ import annotations

import asyncio

import pytest
from nats.aio.client import Client

from host.control.server import ControlServer
from lattice import keys
from lattice.control import (
    CommandRejectedError,
    ControlClient,
    ControlTimeout,
    ControlTimeouts,
    ControlUnreachable,
    HostNotFoundError,
    NoHostsError,
    NotFoundError,
)
from lattice.control.types import RegistryCredential
from lattice.natsconn import NatsOptions
from lattice.wire import LinkDefinition
from tests.support.ports import free_port
from tests.unit.host.control.control_target import RecordingTarget

STOP_WAIT_S = 2.0


async def test_ping_returns_every_host(
    nc: Client, lattice_prefix: str, ctl: ControlClient, target: RecordingTarget, server: ControlServer
) -> None:
    second = RecordingTarget(lattice_prefix)
    async with ControlServer(nc, lattice_prefix, second):
        hosts = await ctl.ping_hosts()
    assert [h.id for h in hosts] == sorted([target.host_id, second.host_id])
    assert hosts[0].friendly_name == "quiet-otter-12"


async def test_ping_with_no_hosts_is_an_empty_list(ctl: ControlClient) -> None:
    assert await ctl.ping_hosts() == []


async def test_every_command_reaches_the_target(
    ctl: ControlClient, target: RecordingTarget, server: ControlServer
) -> None:
    host, actor, provider = target.host_id, target.actor_key, target.provider_key
    await ctl.start_actor(host, "file:///echo.wasm", 2, {"app": "a"})
    await ctl.stop_actor(host, actor, 1)
    await ctl.scale_actor(host, "file:///echo.wasm", 3, actor_id=actor)
    await ctl.update_actor(host, actor, "file:///echo2.wasm")
    await ctl.start_provider(host, "kv.par", "cache", '{"x":1}')
    await ctl.stop_provider(host, provider, "cache", "wasmcloud:keyvalue")
    await ctl.put_label(host, "tier", "gold")
    await ctl.delete_label(host, "tier")
    await ctl.stop_host(host, 100)
    await asyncio.wait_for(target.stopped.wait(), STOP_WAIT_S)  # the host stops after it has acked
    assert [name for name, _ in target.calls] == [
        "launch_actor", "stop_actor", "scale_actor", "update_actor", "launch_provider", "stop_provider",
        "put_label", "delete_label", "stop_host",
    ]  # fmt: skip
    assert target.called("launch_provider") == [("kv.par", "cache", '{"x":1}', {})]
    assert target.called("stop_provider") == [(provider, "cache", "wasmcloud:keyvalue")]


async def test_inventory_claims_and_links(ctl: ControlClient, target: RecordingTarget, server: ControlServer) -> None:
    target.stored_claims.append({"sub": target.actor_key, "name": "echo", "caps": "", "rev": "1"})
    await ctl.start_actor(target.host_id, "file:///echo.wasm")
    link = LinkDefinition(target.actor_key, target.provider_key, "wasmcloud:keyvalue", "default", {"k": "v"})
    await ctl.put_link(link)
    inv = await ctl.get_inventory(target.host_id)
    assert [a.id for a in inv.actors] == [target.actor_key]
    assert await ctl.get_claims() == [{"sub": target.actor_key, "name": "echo", "caps": "", "rev": "1"}]
    assert await ctl.get_links() == [link]
    await ctl.delete_link(link.actor_id, link.contract_id)
    assert await ctl.get_links() == []


async def test_auctions(ctl: ControlClient, target: RecordingTarget, server: ControlServer) -> None:
    [ack] = await ctl.auction_actor("r", {"zone": "east"})
    assert ack.host_id == target.host_id
    assert await ctl.auction_actor("r", {"zone": "mars"}) == []
    [pack] = await ctl.auction_provider("kv.par", "default")
    assert (pack.host_id, pack.link_name) == (target.host_id, "default")


async def test_registries_put_counts_accepting_hosts(
    ctl: ControlClient, target: RecordingTarget, server: ControlServer
) -> None:
    assert await ctl.put_registries({"ghcr.io": RegistryCredential("oci", token="t")}) == 1


async def test_registries_put_without_hosts_raises_no_hosts(ctl: ControlClient) -> None:
    with pytest.raises(NoHostsError, match="lattice up"):
        await ctl.put_registries({})


async def test_rejection_carries_the_hosts_reason(
    ctl: ControlClient, target: RecordingTarget, server: ControlServer
) -> None:
    target.reject = "no such file"
    with pytest.raises(CommandRejectedError, match="no such file") as caught:
        await ctl.start_actor(target.host_id, "file:///missing.wasm")
    assert caught.value.reason == "no such file"
    assert caught.value.host_id == target.host_id


async def test_unknown_host_is_host_not_found(ctl: ControlClient, server: ControlServer) -> None:
    nobody = keys.KeyPair.create(keys.KeyType.SERVER).public_key
    with pytest.raises(HostNotFoundError, match="get hosts"):
        await ctl.start_actor(nobody, "file:///echo.wasm")


async def test_lattice_queries_without_hosts_raise_no_hosts(ctl: ControlClient, lattice_prefix: str) -> None:
    with pytest.raises(NoHostsError, match=f"no host answered on lattice '{lattice_prefix}' at nats://127.0.0.1"):
        await ctl.get_links()


async def test_a_silent_responder_is_a_control_timeout(nc: Client, lattice_prefix: str) -> None:
    sub = await nc.subscribe(f"wasmbus.ctl.{lattice_prefix}.get.claims")  # subscribed, never answers
    async with ControlClient(nc, lattice_prefix, timeouts=ControlTimeouts(request_s=0.2)) as ctl:
        with pytest.raises(ControlTimeout, match=r"within 0\.2s") as caught:
            await ctl.get_claims()
    assert isinstance(caught.value, asyncio.TimeoutError)
    await sub.unsubscribe()


async def test_unreachable_nats_is_control_unreachable() -> None:
    port = free_port()  # nothing listens on it
    opts = NatsOptions(url=f"nats://127.0.0.1:{port}", connect_timeout_s=2.0, max_reconnect_attempts=0)
    with pytest.raises(ControlUnreachable, match=f"could not reach NATS at nats://127.0.0.1:{port}"):
        async with ControlClient(opts, "default"):
            pass


async def test_client_opens_and_closes_its_own_connection(nats_url: str, lattice_prefix: str) -> None:
    async with ControlClient(NatsOptions(url=nats_url), lattice_prefix) as ctl:
        nc = ctl.nc
        assert await ctl.ping_hosts(timeout_s=0.1) == []
        assert ctl.url == nats_url
    assert nc.is_closed


async def test_find_host_by_id_prefix_and_friendly_name(
    ctl: ControlClient, target: RecordingTarget, server: ControlServer
) -> None:
    assert (await ctl.find_host(target.host_id[:8])).id == target.host_id
    assert (await ctl.find_host("quiet-otter-12")).id == target.host_id
    with pytest.raises(HostNotFoundError, match="matches no host"):
        await ctl.find_host("NOPE")


async def test_provider_contract_comes_from_the_inventory(
    ctl: ControlClient, target: RecordingTarget, server: ControlServer
) -> None:
    await ctl.start_provider(target.host_id, "kv.par", "default")
    assert await ctl.provider_contract(target.host_id, target.provider_key, "default") == "wasmcloud:keyvalue"
    with pytest.raises(NotFoundError, match="runs no provider"):
        await ctl.provider_contract(target.host_id, target.provider_key, "other")
