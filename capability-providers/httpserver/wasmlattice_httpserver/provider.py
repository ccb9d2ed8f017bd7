"""The ``wasmcloud:httpserver`` provider: one HTTP listener per linked actor (docs/protocol.md §9.1).

A link whose address is in use, or whose settings or TLS files are unusable, is refused on its own (logged and
reported by the health check); every other link keeps serving.
"""

from __future__ import annotations

from lattice.interfaces.httpserver import CONTRACT_ID, HANDLE_REQUEST
from lattice.provider import LinkRefused, Provider, ProviderConfigError
from lattice.wire import LinkDefinition
from wasmlattice_httpserver.listener import Listener
from wasmlattice_httpserver.settings import HttpSettings


class HttpServerProvider(Provider):
    contract_id = CONTRACT_ID

    async def on_start(self) -> None:
        self.listeners: dict[str, Listener] = {}

    async def put_link(self, link: LinkDefinition) -> None:
        try:
            settings = HttpSettings.parse(self.values(link))
        except ProviderConfigError as exc:
            raise LinkRefused(str(exc)) from exc
        actor_id = link.actor_id

        async def call(request: bytes, timeout_ms: int | None) -> bytes:
            return await self.call_actor(actor_id, HANDLE_REQUEST, request, timeout_ms=timeout_ms)

        listener = Listener(actor_id, settings, call)
        await listener.start()
        self.listeners[actor_id] = listener

    async def delete_link(self, link: LinkDefinition) -> None:
        listener = self.listeners.pop(link.actor_id, None)
        if listener is not None:
            await listener.stop()

    async def on_shutdown(self) -> None:
        for listener in list(self.listeners.values()):
            await listener.stop()
        self.listeners.clear()
