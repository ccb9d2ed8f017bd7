"""A small in-test :class:`ControlTarget`: the seam between the control server and a host, played by a recorder.

It keeps just enough state (actors, providers, links, labels, claims) to answer queries and records every command
it is given. ``reject`` makes commands raise :class:`CommandRejected`; ``explode`` makes them raise an unexpected
error; ``gate`` (an Event) makes ``launch_actor`` wait, for the in-flight tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from host.control.target import (
    ActorInfo,
    ActorInstanceInfo,
    CommandRejected,
    HostInfo,
    ProviderInfo,
)
from lattice import keys, subjects
from lattice.control.events import LatticeEvent
from lattice.wire import LinkDefinition

MAX_RECORDED_INSTANCES = 16  # the double records at most this many instances, whatever count it is given


@dataclass
class RecordingTarget:
    lattice: str
    labels: dict[str, str] = field(default_factory=lambda: {"zone": "east", "hostcore.os": "linux"})
    key: keys.KeyPair = field(default_factory=lambda: keys.KeyPair.create(keys.KeyType.SERVER))
    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    running_actors: list[ActorInfo] = field(default_factory=list)
    running_providers: list[ProviderInfo] = field(default_factory=list)
    stored_links: dict[tuple[str, str, str], LinkDefinition] = field(default_factory=dict)
    stored_claims: list[dict[str, str]] = field(default_factory=list)
    heartbeats: int = 0
    stopped: asyncio.Event = field(default_factory=asyncio.Event)
    reject: str | None = None
    explode: bool = False
    gate: asyncio.Event | None = None
    actor_key: str = field(default_factory=lambda: keys.KeyPair.create(keys.KeyType.MODULE).public_key)
    provider_key: str = field(default_factory=lambda: keys.KeyPair.create(keys.KeyType.SERVICE).public_key)
    events_nc: Any = None  # when set, commands publish the lifecycle events a host would

    @property
    def host_id(self) -> str:
        return self.key.public_key

    def host_info(self) -> HostInfo:
        return HostInfo(
            id=self.host_id,
            issuer="C" + "A" * 55,
            labels=dict(self.labels),
            friendly_name="quiet-otter-12",
            uptime_seconds=3725,
            version="0.1.0",
            cluster_issuers=("C" + "A" * 55, "C" + "B" * 55),
            js_domain=None,
            ctl_host="127.0.0.1",
            rpc_host="127.0.0.1",
            lattice_prefix=self.lattice,
        )

    def actors(self) -> list[ActorInfo]:
        return list(self.running_actors)

    def providers(self) -> list[ProviderInfo]:
        return list(self.running_providers)

    def claims(self) -> list[dict[str, str]]:
        return list(self.stored_claims)

    def links(self) -> list[LinkDefinition]:
        return list(self.stored_links.values())

    def matches_labels(self, constraints: Mapping[str, str]) -> bool:
        return all(self.labels.get(k) == v for k, v in constraints.items())

    def runs_provider(self, provider_ref: str, link_name: str) -> bool:
        return any(p.link_name == link_name and provider_ref in (p.id, p.image_ref) for p in self.running_providers)

    def _record(self, name: str, *args: Any) -> None:
        if self.explode:
            raise RuntimeError(f"disk on fire while handling {name}")
        if self.reject is not None:
            raise CommandRejected(self.reject)
        self.calls.append((name, args))

    def called(self, name: str) -> list[tuple[Any, ...]]:
        return [args for n, args in self.calls if n == name]

    async def put_link(self, link: LinkDefinition) -> None:
        self._record("put_link", link)
        self.stored_links[link.identity] = link

    async def delete_link(self, actor_id: str, contract_id: str, link_name: str) -> None:
        self._record("delete_link", actor_id, contract_id, link_name)
        self.stored_links.pop((actor_id, contract_id, link_name), None)

    async def launch_actor(self, actor_ref: str, count: int, annotations: Mapping[str, str]) -> None:
        if self.gate is not None:
            await self.gate.wait()
        self._record("launch_actor", actor_ref, count, dict(annotations))
        instances = tuple(
            ActorInstanceInfo(f"inst-{n}", 1, dict(annotations)) for n in range(min(count, MAX_RECORDED_INSTANCES))
        )
        self.running_actors.append(ActorInfo(self.actor_key, actor_ref, "echo", instances))
        for instance in instances:
            data = {"public_key": self.actor_key, "image_ref": actor_ref, "instance_id": instance.instance_id}
            await self._publish("actor_started", data)

    async def stop_actor(self, actor_id: str, count: int, annotations: Mapping[str, str]) -> None:
        self._record("stop_actor", actor_id, count, dict(annotations))

    async def scale_actor(self, actor_id: str, actor_ref: str, count: int, annotations: Mapping[str, str]) -> None:
        self._record("scale_actor", actor_id, actor_ref, count, dict(annotations))

    async def update_actor(self, actor_id: str, new_actor_ref: str, annotations: Mapping[str, str]) -> None:
        self._record("update_actor", actor_id, new_actor_ref, dict(annotations))

    async def launch_provider(
        self, provider_ref: str, link_name: str, configuration: str | None, annotations: Mapping[str, str]
    ) -> None:
        self._record("launch_provider", provider_ref, link_name, configuration, dict(annotations))
        info = ProviderInfo(self.provider_key, provider_ref, "wasmcloud:keyvalue", link_name, "kv", "pi-1", 2)
        self.running_providers.append(info)

    async def stop_provider(self, provider_id: str, link_name: str, contract_id: str) -> None:
        self._record("stop_provider", provider_id, link_name, contract_id)

    async def stop_host(self, timeout_ms: int | None) -> None:
        self._record("stop_host", timeout_ms)
        self.stopped.set()
        await self._publish("host_stopped", {"labels": dict(self.labels)})

    async def put_label(self, key: str, value: str) -> None:
        self._record("put_label", key, value)
        self.labels[key] = value

    async def delete_label(self, key: str) -> None:
        self._record("delete_label", key)
        self.labels.pop(key, None)

    async def put_registries(self, credentials: Mapping[str, Any]) -> None:
        self._record("put_registries", dict(credentials))

    async def publish_heartbeat(self) -> None:
        self.heartbeats += 1

    async def _publish(self, name: str, data: dict[str, Any]) -> None:
        if self.events_nc is not None:
            event = LatticeEvent(name, self.host_id, f"evt-{len(self.calls)}", "2026-01-01T00:00:00Z", data)
            await self.events_nc.publish(subjects.events(self.lattice), event.encode())
