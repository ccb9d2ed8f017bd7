"""The :class:`Provider` base class: subclass it, declare ``contract_id`` and ``@operation`` handlers.

Example (a whole provider)::

    class Greeter(Provider):
        contract_id = "example:greeter"

        @operation("Greeter.Greet")
        async def greet(self, actor_id: str, payload: str) -> str:
            return f"Hello, {payload}!"

    run(Greeter)

Hooks, all optional: :meth:`on_start`, :meth:`put_link` (raise :class:`LinkRefused` to refuse a link),
:meth:`delete_link`, :meth:`health`, :meth:`on_shutdown`. :meth:`call_actor` invokes a linked actor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from lattice.provider.errors import ProviderDefinitionError, UnlinkedActor
from lattice.provider.links import LinkTable, LinkValues
from lattice.provider.operation import Operation, collect_operations
from lattice.provider.tasks import DEFAULT_MAX_RUNNING
from lattice.rpc import RpcClient
from lattice.wire import HealthCheckResponse, HostData, LinkDefinition, WasmCloudEntity
from lattice.wire.hostdata import DEFAULT_RPC_TIMEOUT_MS

RPC_TIMEOUT_LINK_VALUE = "rpc_timeout_ms"
MAX_RPC_TIMEOUT_MS = 3_600_000


@dataclass(frozen=True)
class ProviderContext:
    """What the runner hands a provider: its host data, the lattice connection and RPC client, its links."""

    host_data: HostData
    nc: Any
    rpc: RpcClient
    links: LinkTable


class Provider:
    """Base class of capability providers. The runner builds one instance per process."""

    contract_id: ClassVar[str] = ""
    max_concurrent: ClassVar[int] = DEFAULT_MAX_RUNNING
    operations: ClassVar[Mapping[str, Operation]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.operations = collect_operations(cls)

    def __init__(self, ctx: ProviderContext) -> None:
        if not self.contract_id:
            raise ProviderDefinitionError(f"{type(self).__name__} must set contract_id, e.g. 'wasmcloud:keyvalue'")
        self.ctx = ctx
        self.refused_links: dict[str, str] = {}

    # --- what a provider knows ------------------------------------------------------------------------------------

    @property
    def host_data(self) -> HostData:
        return self.ctx.host_data

    @property
    def nc(self) -> Any:
        return self.ctx.nc

    @property
    def provider_key(self) -> str:
        return self.ctx.host_data.provider_key

    @property
    def link_name(self) -> str:
        return self.ctx.host_data.link_name

    def link(self, actor_id: str) -> LinkDefinition | None:
        return self.ctx.links.get(actor_id)

    @property
    def links(self) -> list[LinkDefinition]:
        return self.ctx.links.all()

    @staticmethod
    def values(link: LinkDefinition) -> LinkValues:
        """The link's values with case-insensitive keys."""
        return LinkValues(link.values)

    def link_values(self, actor_id: str) -> LinkValues:
        """The values of the actor's link (case-insensitive keys); :class:`UnlinkedActor` when it has none."""
        link = self.link(actor_id)
        if link is None:
            raise UnlinkedActor("unlinked actor")
        return LinkValues(link.values)

    # --- hooks ----------------------------------------------------------------------------------------------------

    async def on_start(self) -> None:
        """Called once, connected, before links are applied and invocations served."""

    async def put_link(self, link: LinkDefinition) -> None:
        """A new link (duplicates are filtered out before). Raise :class:`LinkRefused` to refuse it."""

    async def delete_link(self, link: LinkDefinition) -> None:
        """A link went away (or is being replaced by one with other values): release what it holds."""

    async def health(self) -> HealthCheckResponse:
        """The answer to the host's health check; reports refused links in the message."""
        if not self.refused_links:
            return HealthCheckResponse(True)
        refused = "; ".join(f"{actor}: {why}" for actor, why in sorted(self.refused_links.items()))
        return HealthCheckResponse(True, f"{len(self.refused_links)} link(s) refused: {refused}")

    async def on_shutdown(self) -> None:
        """Called once on shutdown after new work stopped; release listeners and connections here."""

    # --- calls to actors ------------------------------------------------------------------------------------------

    def origin(self) -> WasmCloudEntity:
        return WasmCloudEntity.provider(self.provider_key, self.contract_id, self.link_name)

    def rpc_timeout_ms(self, actor_id: str) -> int:
        """The link value ``rpc_timeout_ms`` when set, else the host's ``default_rpc_timeout_ms``."""
        default = self.host_data.default_rpc_timeout_ms or DEFAULT_RPC_TIMEOUT_MS
        link = self.link(actor_id)
        if link is None:
            return default
        return self.values(link).get_int(RPC_TIMEOUT_LINK_VALUE, default, low=1, high=MAX_RPC_TIMEOUT_MS)

    async def call_actor(
        self, actor_id: str, operation: str, payload: bytes, *, timeout_ms: int | None = None
    ) -> bytes:
        """Invoke ``operation`` on a linked actor; raises :class:`lattice.rpc.RpcError` subclasses."""
        timeout = timeout_ms if timeout_ms is not None else self.rpc_timeout_ms(actor_id)
        target = WasmCloudEntity.actor(actor_id)
        return await self.ctx.rpc.call(self.origin(), target, operation, payload, timeout_ms=timeout)
