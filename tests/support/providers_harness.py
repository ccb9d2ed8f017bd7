"""Helpers for provider tests: a test lattice identity, provider processes fed HostData on stdin, a stand-in
"actor" (a plain nats-py subscriber that checks anti-forgery and answers), and an actor-side caller."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nats.aio.client import Client
from nats.errors import Error as NatsError

from lattice import keys, subjects
from lattice.natsconn import flush_all
from lattice.rpc import RpcClient, RpcSettings
from lattice.subjects import ProviderChannel
from lattice.wire import (
    HEALTH_REQUEST,
    ForgedInvocation,
    HealthCheckResponse,
    HostData,
    Invocation,
    InvocationResponse,
    LinkDefinition,
    MessageMalformed,
    WasmCloudEntity,
    antiforgery,
)
from tests.support.waiting import WaitTimeout, wait_until

SCRIPTS = Path(__file__).resolve().parents[1] / "integration" / "providers"  # the test providers run as scripts
READY_TIMEOUT_S = 15.0
POLL_S = 0.05
STOP_TIMEOUT_S = 5.0


@dataclass
class LatticeSpec:
    """One test's lattice: prefix, cluster key, a host id and the NATS URL."""

    prefix: str
    nats_url: str
    cluster: keys.KeyPair = field(default_factory=lambda: keys.KeyPair.create(keys.KeyType.CLUSTER))
    host_id: str = field(default_factory=lambda: keys.KeyPair.create(keys.KeyType.SERVER).public_key)

    def host_data(
        self,
        provider_key: str,
        links: Sequence[LinkDefinition] = (),
        *,
        link_name: str = "default",
        config_json: str | None = None,
        timeout_ms: int = 2000,
    ) -> HostData:
        return HostData(
            host_id=self.host_id,
            lattice_rpc_prefix=self.prefix,
            link_name=link_name,
            provider_key=provider_key,
            invocation_seed=self.cluster.seed,
            lattice_rpc_url=self.nats_url.removeprefix("nats://"),
            cluster_issuers=(self.cluster.public_key,),
            instance_id="test-instance",
            link_definitions=tuple(links),
            config_json=config_json,
            default_rpc_timeout_ms=timeout_ms,
            log_level="debug",
        )

    def rpc(self, nc: Client) -> RpcClient:
        return RpcClient(nc, RpcSettings(self.prefix, self.host_id, self.cluster))


def new_actor() -> str:
    return keys.KeyPair.create(keys.KeyType.MODULE).public_key


def new_provider_key() -> str:
    return keys.KeyPair.create(keys.KeyType.SERVICE).public_key


class ProviderProcess:
    """A provider started as a real subprocess with HostData on stdin; stderr is collected."""

    def __init__(self, argv: Sequence[str], host_data: HostData) -> None:
        self.argv = list(argv)
        self.host_data = host_data
        self.proc: asyncio.subprocess.Process | None = None
        self.lines: list[str] = []
        self._reader: asyncio.Task[None] | None = None

    @classmethod
    def module(cls, module: str, host_data: HostData) -> ProviderProcess:
        return cls([sys.executable, "-m", module], host_data)

    @classmethod
    def script(cls, name: str, host_data: HostData) -> ProviderProcess:
        return cls([sys.executable, str(SCRIPTS / name)], host_data)

    @property
    def stderr(self) -> str:
        return "\n".join(self.lines)

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        assert self.proc.stdin is not None
        assert self.proc.stderr is not None
        self.proc.stdin.write(self.host_data.encode_line())
        await self.proc.stdin.drain()
        self.proc.stdin.close()
        self._reader = asyncio.create_task(self._read(self.proc.stderr))

    async def _read(self, stream: asyncio.StreamReader) -> None:
        async for line in stream:
            self.lines.append(line.decode(errors="replace").rstrip())

    def channel(self, ch: ProviderChannel) -> str:
        hd = self.host_data
        return subjects.provider_channel(hd.lattice_rpc_prefix, hd.provider_key, hd.link_name, ch)

    async def health(self, nc: Client, timeout_s: float = 1.0) -> HealthCheckResponse:
        reply = await nc.request(self.channel(ProviderChannel.HEALTH), HEALTH_REQUEST, timeout=timeout_s)
        return HealthCheckResponse.decode(reply.data)

    async def wait_ready(self, nc: Client, timeout_s: float = READY_TIMEOUT_S) -> None:
        proc = self.proc
        assert proc is not None

        async def answers_health() -> bool:
            if proc.returncode is not None:
                await self._drain_reader()
                raise AssertionError(f"provider exited with {proc.returncode}:\n{self.stderr}")
            await self.health(nc, 0.5)
            return True

        try:
            await wait_until(
                answers_health,
                timeout_s,
                "the provider's first health answer",
                poll_s=POLL_S,
                retry_on=(NatsError, MessageMalformed, TimeoutError),
            )
        except WaitTimeout as exc:
            raise WaitTimeout(f"{exc}:\n{self.stderr}") from None

    async def shutdown(self, nc: Client, host_id: str | None = None) -> bytes:
        body = json.dumps({"host_id": self.host_data.host_id if host_id is None else host_id}).encode()
        reply = await nc.request(self.channel(ProviderChannel.SHUTDOWN), body, timeout=2)
        return bytes(reply.data)

    async def wait_exit(self, timeout_s: float = STOP_TIMEOUT_S) -> int:
        assert self.proc is not None
        code = await asyncio.wait_for(self.proc.wait(), timeout_s)
        await self._drain_reader()
        return code

    async def _drain_reader(self) -> None:
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 2)

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        await self._drain_reader()

    async def put_link(self, nc: Client, link: LinkDefinition) -> None:
        await nc.publish(self.channel(ProviderChannel.LINKDEFS_PUT), link.encode_msgpack())
        await flush_all(nc)

    async def del_link(self, nc: Client, link: LinkDefinition) -> None:
        await nc.publish(self.channel(ProviderChannel.LINKDEFS_DEL), link.encode_msgpack())
        await flush_all(nc)


Handler = Callable[[Invocation, bytes], Awaitable[bytes]]


class StandInActor:
    """An "actor" for provider tests: subscribes to ``wasmbus.rpc.{lattice}.{actor}``, checks each invocation's
    anti-forgery token against the test cluster key, records it and answers with ``handler``."""

    def __init__(self, nc: Client, lattice: LatticeSpec, handler: Handler, actor_id: str | None = None) -> None:
        self.nc = nc
        self.lattice = lattice
        self.handler = handler
        self.actor_id = actor_id or new_actor()
        self.received: list[Invocation] = []
        self.forged: list[str] = []
        self._sub: Any = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> StandInActor:
        subject = subjects.actor_rpc(self.lattice.prefix, self.actor_id)
        self._sub = await self.nc.subscribe(subject, queue=subject, cb=self._on_msg)
        await flush_all(self.nc)
        return self

    async def _on_msg(self, msg: Any) -> None:
        task = asyncio.create_task(self._answer(msg))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, msg: Any) -> None:
        inv = Invocation.decode(msg.data)
        rpc = self.lattice.rpc(self.nc)
        payload = await rpc.receive_payload(inv)
        try:
            antiforgery.validate(inv, [self.lattice.cluster.public_key], full_msg=payload)
        except ForgedInvocation as exc:
            self.forged.append(str(exc))
            await msg.respond(InvocationResponse.failure(inv.id, f"forged: {exc}").encode())
            return
        self.received.append(inv)
        try:
            result = await self.handler(inv, payload)
        except Exception as exc:
            await msg.respond(InvocationResponse.failure(inv.id, f"actor error: {exc}").encode())
            return
        response = await rpc.make_response(inv.id, result)
        await msg.respond(response.encode())

    async def stop(self) -> None:
        if self._sub is not None:
            await self._sub.unsubscribe()
        for task in list(self._tasks):
            task.cancel()


class ActorCaller:
    """Calls a provider as if from ``actor_id`` (signed with the test cluster key, as a host would)."""

    def __init__(self, nc: Client, lattice: LatticeSpec, provider: WasmCloudEntity, actor_id: str) -> None:
        self.rpc = lattice.rpc(nc)
        self.provider = provider
        self.actor_id = actor_id

    async def invoke(self, operation: str, payload: bytes, timeout_ms: int = 3000) -> InvocationResponse:
        origin = WasmCloudEntity.actor(self.actor_id)
        return await self.rpc.invoke(origin, self.provider, operation, payload, timeout_ms=timeout_ms)

    async def call(self, operation: str, payload: bytes, timeout_ms: int = 3000) -> bytes:
        origin = WasmCloudEntity.actor(self.actor_id)
        return await self.rpc.call(origin, self.provider, operation, payload, timeout_ms=timeout_ms)
