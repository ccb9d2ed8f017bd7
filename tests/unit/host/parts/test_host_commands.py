"""HostCommands over real parts (runtime, lattice bucket, actors, providers, labels) — no Host, no control server:
what each command refuses, and what it changes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from nats.aio.client import Client

from host.actors import ActorManager
from host.artifacts import open_fetcher
from host.assembly import actor_context, provider_supervisor, rpc_client
from host.commands import HostCommands
from host.config import BUILTIN_LABEL_PREFIX, HostConfig
from host.control.target import CommandRejected
from host.events import EventPublisher
from host.heartbeat import Heartbeat
from host.identity import Identity, Labels
from host.invocations import InvocationContext
from host.parts import HostParts
from host.runtime import Runtime, RuntimeConfig
from host.state import LatticeStore
from host.tasks import TaskScope
from lattice import keys
from lattice.wire import LinkDefinition

MAX_INSTANCES = 4


@dataclass
class Bench:
    commands: HostCommands
    parts: HostParts
    stops: list[bool] = field(default_factory=list)


@pytest.fixture
async def bench(nc: Client, lattice_prefix: str, tmp_path: Path) -> AsyncIterator[Bench]:
    config = HostConfig(
        lattice=lattice_prefix,
        state_dir=tmp_path,
        allow_file_load=True,
        actor_max_instances=MAX_INSTANCES,
        labels={"zone": "a"},
    )
    me = Identity.from_config(config)
    stops: list[bool] = []
    with Runtime(RuntimeConfig(cache_dir=None)) as runtime:
        async with TaskScope("bench") as tasks, open_fetcher(config, nc) as artifacts:
            store = LatticeStore(nc, lattice_prefix)
            await store.open()
            publisher = EventPublisher(nc, lattice_prefix, me.host_id)
            invocations = InvocationContext(nc, lattice_prefix, me.host_id, rpc_client(config, nc, me), store.cache)
            actors = ActorManager(actor_context(config, runtime, store, invocations, me, publisher, tasks, artifacts))
            async with provider_supervisor(config, nc, me, store, publisher, artifacts) as providers:
                labels = Labels.from_config(config)
                parts = HostParts(
                    config=config,
                    identity=me,
                    labels=labels,
                    store=store,
                    artifacts=artifacts,
                    actors=actors,
                    providers=providers,
                    policy=None,
                    publisher=publisher,
                    heartbeat=Heartbeat(publisher, me, labels, actors.counts, providers.list),
                    tasks=tasks,
                    request_stop=lambda: stops.append(True),
                )
                yield Bench(HostCommands(parts), parts, stops)


async def test_host_info_and_labels(bench: Bench) -> None:
    cmds = bench.commands
    info = cmds.host_info()
    assert info.id == cmds.host_id == bench.parts.identity.host_id
    assert info.labels["zone"] == "a"
    await cmds.put_label("tier", "gold")
    assert cmds.matches_labels({"zone": "a", "tier": "gold"})
    await cmds.delete_label("tier")
    assert not cmds.matches_labels({"tier": "gold"})
    with pytest.raises(CommandRejected, match="reserved"):
        await cmds.put_label(f"{BUILTIN_LABEL_PREFIX}os", "plan9")
    with pytest.raises(CommandRejected, match="built in"):
        await cmds.delete_label(f"{BUILTIN_LABEL_PREFIX}os")
    with pytest.raises(CommandRejected, match="no label 'tier'"):
        await cmds.delete_label("tier")


async def test_actor_commands_refuse_at_once_what_cannot_work(bench: Bench) -> None:
    cmds, actor = bench.commands, keys.KeyPair.create(keys.KeyType.MODULE).public_key
    with pytest.raises(CommandRejected, match=re.escape("cannot load 'bindle://x/1.0'")):
        await cmds.launch_actor("bindle://x/1.0", 1, {})
    with pytest.raises(
        CommandRejected, match=re.escape("registry.example.com/echo:latest: the tag 'latest' is refused")
    ):
        await cmds.launch_actor("registry.example.com/echo:latest", 1, {})
    with pytest.raises(CommandRejected, match="not valid"):
        await cmds.launch_actor("registry.example.com/Echo:1.0", 1, {})
    with pytest.raises(CommandRejected, match=f"^count 0 is outside 1..{MAX_INSTANCES} on this host$"):
        await cmds.launch_actor("file:///nowhere/echo.wasm", 0, {})
    with pytest.raises(CommandRejected, match=f"^count 5 is outside 0..{MAX_INSTANCES} on this host$"):
        await cmds.scale_actor(actor, "", MAX_INSTANCES + 1, {})
    with pytest.raises(CommandRejected, match="is not running on this host"):
        await cmds.scale_actor(actor, "", 0, {})
    with pytest.raises(CommandRejected, match="is not running on this host"):
        await cmds.update_actor(actor, "file:///nowhere/echo.wasm", {})
    with pytest.raises(CommandRejected, match="is not running on this host"):
        await cmds.stop_actor(actor, 1, {})
    assert cmds.actors() == []
    assert len(bench.parts.tasks) == 0  # nothing was started in the background


async def test_provider_commands_and_links(bench: Bench) -> None:
    cmds = bench.commands
    provider = keys.KeyPair.create(keys.KeyType.SERVICE).public_key
    actor = keys.KeyPair.create(keys.KeyType.MODULE).public_key
    with pytest.raises(CommandRejected, match="does not run on this host"):
        await cmds.stop_provider(provider, "default", "wasmcloud:keyvalue")
    assert not cmds.runs_provider(provider, "default")
    with pytest.raises(CommandRejected, match="link_name"):
        await cmds.put_link(LinkDefinition(actor, provider, "wasmcloud:keyvalue", "bad name"))
    link = LinkDefinition(actor, provider, "wasmcloud:keyvalue", "default", {"BUCKET": "b"})
    await cmds.put_link(link)
    assert cmds.links() == [link]
    await cmds.delete_link(actor, "wasmcloud:keyvalue", "default")


async def test_stop_host_asks_the_host_to_stop(bench: Bench) -> None:
    await bench.commands.stop_host(None)
    assert bench.stops == [True]
