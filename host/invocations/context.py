"""What both directions of invocation share on one host, and the one place their result events are published."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from host import events
from host.policy import PolicyClient
from host.state import LatticeCache
from lattice.rpc import RpcClient
from lattice.wire import WasmCloudEntity


@dataclass(frozen=True)
class InvocationContext:
    """The RPC connection and client, the lattice state, the policy service (None: allow all) of one host."""

    nc: Any
    lattice: str
    host_id: str
    rpc: RpcClient
    cache: LatticeCache
    policy: PolicyClient | None = None

    async def publish_result(
        self, ok: bool, origin: WasmCloudEntity, target: WasmCloudEntity, operation: str, size: int
    ) -> None:
        """``invocation_succeeded`` or ``invocation_failed`` on ``wasmbus.rpcevt.{lattice}``; never raises."""
        event = events.invocation_result(
            self.host_id, succeeded=ok, source=origin, dest=target, operation=operation, size=size
        )
        await events.publish_rpc(self.nc, self.lattice, event)
