"""Connections on a real nats-server: one shared connection when RPC and control agree, two otherwise, drained."""

from __future__ import annotations

from host.connections import Connections
from lattice.natsconn import NatsOptions


async def test_one_connection_when_the_settings_agree(nats_url: str) -> None:
    opts = NatsOptions(url=nats_url)
    conns = await Connections.open(opts, opts, "test host")
    assert conns.shared
    assert conns.rpc.is_connected
    await conns.close()
    assert conns.rpc.is_closed


async def test_two_connections_when_they_differ_and_both_are_drained(nats_url: str) -> None:
    rpc = NatsOptions(url=nats_url)
    ctl = NatsOptions(url=nats_url.replace("127.0.0.1", "localhost"))
    conns = await Connections.open(rpc, ctl, "test host")
    try:
        assert not conns.shared
        assert conns.rpc.is_connected
        assert conns.ctl.is_connected
        sub = await conns.ctl.subscribe("parts.test")
        await conns.ctl.flush()
        await conns.rpc.publish("parts.test", b"hi")
        assert (await sub.next_msg(timeout=5)).data == b"hi"
    finally:
        await conns.close()
    assert conns.rpc.is_closed
    assert conns.ctl.is_closed
