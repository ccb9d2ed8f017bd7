"""Lattice state in the bucket: links written by anyone reach providers; claims and links survive restarts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from host.config import HostConfig
from host.host import Host
from lattice import keys, subjects
from lattice.control.client import ControlClient
from lattice.subjects import ProviderChannel
from lattice.wire import LinkDefinition
from tests.integration.host.hostcore_support import EventLog
from tests.support.guests import signed_guest, write_module
from tests.support.waiting import wait_until

CONTRACT = "wasmcloud:keyvalue"


def a_link() -> LinkDefinition:
    actor = keys.KeyPair.create(keys.KeyType.MODULE).public_key
    provider = keys.KeyPair.create(keys.KeyType.SERVICE).public_key
    return LinkDefinition(actor, provider, CONTRACT, "default", {"URL": "redis://127.0.0.1:6379"})


async def test_bucket_is_created_with_otp_settings(nc: Any, host_config: HostConfig) -> None:
    async with Host(host_config):
        info = await nc.jetstream().stream_info(f"KV_{subjects.lattice_bucket(host_config.lattice)}")
    assert info.config.max_msgs_per_subject == 1
    assert info.config.storage == "file"
    assert info.config.allow_direct is True
    assert info.config.deny_delete is True
    assert info.config.allow_rollup_hdrs is True


async def test_link_written_straight_into_the_bucket_reaches_the_provider(nc: Any, host_config: HostConfig) -> None:
    link = a_link()
    lattice = host_config.lattice
    put = subjects.provider_channel(lattice, link.provider_id, "default", ProviderChannel.LINKDEFS_PUT)
    deleted = subjects.provider_channel(lattice, link.provider_id, "default", ProviderChannel.LINKDEFS_DEL)
    async with Host(host_config) as host, EventLog(nc, lattice) as log:
        puts, dels = await nc.subscribe(put), await nc.subscribe(deleted)
        kv = await nc.jetstream().key_value(subjects.lattice_bucket(lattice))
        await kv.put(subjects.linkdef_key(link.id), link.encode_json())
        announced = await puts.next_msg(timeout=5)
        assert LinkDefinition.decode_msgpack(announced.data) == link
        (event,) = await log.wait_for("linkdef_set")
        assert event["data"] == link.to_wire()
        assert host.commands.links() == [link]
        await kv.purge(subjects.linkdef_key(link.id))
        assert LinkDefinition.decode_msgpack((await dels.next_msg(timeout=5)).data) == link
        await log.wait_for("linkdef_deleted")
        assert host.commands.links() == []


async def test_every_host_announces_and_control_writes_reach_all(nc: Any, host_config: HostConfig) -> None:
    link = a_link()
    lattice = host_config.lattice
    put = subjects.provider_channel(lattice, link.provider_id, "default", ProviderChannel.LINKDEFS_PUT)
    async with Host(host_config) as one, Host(host_config) as two, ControlClient(nc, lattice) as ctl:
        puts = await nc.subscribe(put)
        await ctl.put_link(link)
        first, second = await puts.next_msg(timeout=5), await puts.next_msg(timeout=5)
        assert LinkDefinition.decode_msgpack(first.data) == LinkDefinition.decode_msgpack(second.data) == link
        await wait_until(lambda: one.commands.links() == two.commands.links() == [link])
        assert await ctl.get_links() == [link]
        await ctl.delete_link(link.actor_id, CONTRACT, "default")
        await wait_until(lambda: one.commands.links() == two.commands.links() == [])


async def test_state_survives_host_restarts(
    nc: Any, host_config: HostConfig, account: keys.KeyPair, tmp_path: Path
) -> None:
    link = a_link()
    wasm, claims = signed_guest(account, call_alias="survivor")
    async with Host(host_config) as first, EventLog(nc, host_config.lattice) as log:
        await first.commands.put_link(link)
        await first.commands.launch_actor(write_module(tmp_path, wasm), 1, {})
        await log.wait_for("actors_started")
    async with Host(host_config) as second:
        assert second.commands.links() == [link]
        assert [c["sub"] for c in second.commands.claims()] == [claims.subject]
        assert second.commands.claims()[0]["call_alias"] == "survivor"


async def test_malformed_bucket_entries_are_ignored(nc: Any, host_config: HostConfig) -> None:
    link = a_link()
    async with Host(host_config) as host:
        kv = await nc.jetstream().key_value(subjects.lattice_bucket(host_config.lattice))
        await kv.put(subjects.linkdef_key("BROKEN"), b"{not json")
        await kv.put(subjects.claims_key("MBROKEN"), json.dumps({"no": "sub"}).encode())
        await kv.put(subjects.linkdef_key(link.id), link.encode_json())
        await wait_until(lambda: host.commands.links() == [link])
        assert host.commands.claims() == []


async def test_a_link_moved_to_another_provider_is_withdrawn_from_the_first(nc: Any, host_config: HostConfig) -> None:
    first = a_link()
    second = LinkDefinition(first.actor_id, keys.KeyPair.create(keys.KeyType.SERVICE).public_key, CONTRACT)
    lattice = host_config.lattice
    withdrawn = subjects.provider_channel(lattice, first.provider_id, "default", ProviderChannel.LINKDEFS_DEL)
    granted = subjects.provider_channel(lattice, second.provider_id, "default", ProviderChannel.LINKDEFS_PUT)
    async with Host(host_config) as host:
        dels, puts = await nc.subscribe(withdrawn), await nc.subscribe(granted)
        await host.commands.put_link(first)
        await host.commands.put_link(second)
        assert LinkDefinition.decode_msgpack((await dels.next_msg(timeout=5)).data) == first
        assert LinkDefinition.decode_msgpack((await puts.next_msg(timeout=5)).data) == second
        assert host.commands.links() == [second]
