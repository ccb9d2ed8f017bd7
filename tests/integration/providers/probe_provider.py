"""A test provider that exposes what the SDK did: link hook calls, slow and failing handlers, calls to actors."""

from __future__ import annotations

import asyncio

from lattice.interfaces import SetRequest
from lattice.provider import OperationFailed, Provider, operation, run
from lattice.wire import LinkDefinition


class Probe(Provider):
    contract_id = "test:probe"

    async def on_start(self) -> None:
        self.puts: list[str] = []
        self.deletes: list[str] = []

    async def put_link(self, link: LinkDefinition) -> None:
        self.puts.append(f"{link.actor_id}:{sorted(link.values.items())}")

    async def delete_link(self, link: LinkDefinition) -> None:
        self.deletes.append(link.actor_id)

    @operation("Probe.Hooks")
    async def hooks(self, actor_id: str) -> dict[str, list[str]]:
        return {"puts": self.puts, "deletes": self.deletes}

    @operation("Probe.Echo")
    async def echo(self, actor_id: str, payload: bytes) -> bytes:
        return payload

    @operation("Probe.Sleep")
    async def sleep(self, actor_id: str, payload: int) -> int:
        await asyncio.sleep(payload / 1000)
        return payload

    @operation("Probe.Fail")
    async def fail(self, actor_id: str, payload: str) -> None:
        raise OperationFailed(payload)

    @operation("Probe.Crash")
    async def crash(self, actor_id: str) -> int:
        return 1 // 0

    @operation("Probe.Set")
    async def set(self, actor_id: str, payload: SetRequest) -> str:
        return f"{payload.key}={payload.value} ({payload.expires}s)"

    @operation("Probe.Relay")
    async def relay(self, actor_id: str, payload: str) -> bytes:
        """Call the linked actor's ``Probe.Hear`` with ``payload`` and return its answer."""
        return await self.call_actor(actor_id, "Probe.Hear", payload.encode())


if __name__ == "__main__":
    run(Probe)
