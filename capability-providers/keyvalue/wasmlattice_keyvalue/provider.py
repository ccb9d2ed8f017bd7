"""The ``wasmcloud:keyvalue`` provider: every operation of docs/protocol.md §9.2, per link on JetStream KV or Redis."""

from __future__ import annotations

from lattice.interfaces import (
    GetResponse,
    IncrementRequest,
    ListAddRequest,
    ListDelRequest,
    ListRangeRequest,
    SetAddRequest,
    SetDelRequest,
    SetRequest,
)
from lattice.interfaces.keyvalue import CONTRACT_ID
from lattice.provider import LinkRefused, OperationFailed, Provider, ProviderConfigError, UnlinkedActor, operation
from lattice.wire import LinkDefinition
from wasmlattice_keyvalue.errors import KeyValueError
from wasmlattice_keyvalue.jetstream import JetStreamStore
from wasmlattice_keyvalue.redis_store import RedisStore
from wasmlattice_keyvalue.settings import Backend, LinkSettings, ProviderDefaults
from wasmlattice_keyvalue.store import KeyValueStore


class KeyValueProvider(Provider):
    contract_id = CONTRACT_ID

    async def on_start(self) -> None:
        self.defaults = ProviderDefaults.parse(self.host_data.config_json)
        self.stores: dict[str, KeyValueStore] = {}

    async def put_link(self, link: LinkDefinition) -> None:
        try:
            settings = LinkSettings.parse(self.values(link), link.actor_id, self.defaults)
            self.stores[link.actor_id] = await self._open(settings)
        except (ProviderConfigError, KeyValueError) as exc:
            raise LinkRefused(str(exc)) from exc

    async def _open(self, settings: LinkSettings) -> KeyValueStore:
        if settings.backend is Backend.REDIS:
            return RedisStore(settings.redis_url, settings.timeout_s)
        return await JetStreamStore.open(
            self.nc, settings.bucket, self.host_data.js_domain, settings.timeout_s, settings.replicas
        )

    async def delete_link(self, link: LinkDefinition) -> None:
        store = self.stores.pop(link.actor_id, None)
        if store is not None:
            await store.close()

    async def on_shutdown(self) -> None:
        for store in self.stores.values():
            await store.close()
        self.stores.clear()

    def store(self, actor_id: str) -> KeyValueStore:
        store = self.stores.get(actor_id)
        if store is None:
            raise UnlinkedActor("unlinked actor")
        return store

    @operation("KeyValue.Get")
    async def get(self, actor_id: str, payload: str) -> GetResponse:
        value = await self.store(actor_id).get(payload)
        return GetResponse("", False) if value is None else GetResponse(value, True)

    @operation("KeyValue.Set")
    async def set(self, actor_id: str, payload: SetRequest) -> None:
        await self.store(actor_id).set(payload.key, payload.value, payload.expires)

    @operation("KeyValue.Del")
    async def delete(self, actor_id: str, payload: str) -> bool:
        return await self.store(actor_id).delete(payload)

    @operation("KeyValue.Contains")
    async def contains(self, actor_id: str, payload: str) -> bool:
        return await self.store(actor_id).contains(payload)

    @operation("KeyValue.Increment")
    async def increment(self, actor_id: str, payload: IncrementRequest) -> int:
        return await self.store(actor_id).increment(payload.key, payload.value)

    @operation("KeyValue.ListAdd")
    async def list_add(self, actor_id: str, payload: ListAddRequest) -> int:
        return await self.store(actor_id).list_add(payload.list_name, payload.value)

    @operation("KeyValue.ListClear")
    async def list_clear(self, actor_id: str, payload: str) -> bool:
        return await self.store(actor_id).delete(payload)

    @operation("KeyValue.ListDel")
    async def list_del(self, actor_id: str, payload: ListDelRequest) -> bool:
        return await self.store(actor_id).list_del(payload.list_name, payload.value)

    @operation("KeyValue.ListRange")
    async def list_range(self, actor_id: str, payload: ListRangeRequest) -> list[str]:
        return await self.store(actor_id).list_range(payload.list_name, payload.start, payload.stop)

    @operation("KeyValue.SetAdd")
    async def set_add(self, actor_id: str, payload: SetAddRequest) -> int:
        return await self.store(actor_id).set_add(payload.set_name, payload.value)

    @operation("KeyValue.SetDel")
    async def set_del(self, actor_id: str, payload: SetDelRequest) -> int:
        return await self.store(actor_id).set_del(payload.set_name, payload.value)

    @operation("KeyValue.SetUnion")
    async def set_union(self, actor_id: str, payload: list[str]) -> list[str]:
        return await self.store(actor_id).set_union(_names(payload, "SetUnion"))

    @operation("KeyValue.SetIntersection")
    async def set_intersection(self, actor_id: str, payload: list[str]) -> list[str]:
        return await self.store(actor_id).set_intersection(_names(payload, "SetIntersection"))

    @operation("KeyValue.SetQuery")
    async def set_query(self, actor_id: str, payload: str) -> list[str]:
        return await self.store(actor_id).set_members(payload)

    @operation("KeyValue.SetClear")
    async def set_clear(self, actor_id: str, payload: str) -> bool:
        return await self.store(actor_id).delete(payload)


def _names(names: list[str], what: str) -> list[str]:
    if not names:
        raise OperationFailed(f"{what} needs at least one set name")
    return names
