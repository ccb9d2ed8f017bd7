"""What both directions of invocation share on one host, and the one place their result events are published."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from host.policy import PolicyClient
from host.rpc_events import RpcEventMode, RpcEvents
from host.state import LatticeCache
from lattice.rpc import RpcClient
from lattice.wire import WasmCloudEntity


@dataclass(frozen=True)
class InvocationContext:
    """The RPC connection and client, the lattice state, the policy service (None: allow all) of one host, and how
    it reports invocations (``rpc_events``; by default one event per invocation, as OTP does)."""

    nc: Any
    lattice: str
    host_id: str
    rpc: RpcClient
    cache: LatticeCache
    policy: PolicyClient | None = None
    rpc_events: RpcEvents | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.rpc_events is None:
            object.__setattr__(self, "rpc_events", RpcEvents(self.nc, self.lattice, self.host_id, RpcEventMode.EACH))

    async def publish_result(
        self, ok: bool, origin: WasmCloudEntity, target: WasmCloudEntity, operation: str, size: int
    ) -> None:
        """Report one invocation on ``wasmbus.rpcevt.{lattice}`` (as its own event or in a summary); never raises."""
        assert self.rpc_events is not None
        await self.rpc_events.result(ok, origin, target, operation, size)
