"""The key-value provider process, one behaviour suite run against both backends (NATS JetStream KV and Redis),
plus its bad-input cases. Each test talks to a real `python -m wasmlattice_keyvalue` as a linked actor."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis.asyncio as aioredis
from nats.aio.client import Client

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
from lattice.provider.claims import module_claims
from lattice.rpc import RemoteError
from lattice.wire import LinkDefinition, WasmCloudEntity, pack, unpack
from tests.support.ports import free_port
from tests.support.providers_harness import (
    ActorCaller,
    LatticeSpec,
    ProviderProcess,
    new_actor,
)
from tests.support.waiting import wait_until

MODULE = "wasmlattice_keyvalue"
CONTRACT = "wasmcloud:keyvalue"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


class Kv:
    """An actor's view of the provider: one method per operation, errors as RemoteError."""

    def __init__(self, caller: ActorCaller, prefix: str) -> None:
        self.caller = caller
        self.p = prefix  # every key of a test starts with its lattice prefix (Redis is shared)

    async def call(self, op: str, payload: Any) -> Any:
        data = payload.encode() if hasattr(payload, "encode") and not isinstance(payload, str) else pack(payload)
        result = await self.caller.call(f"KeyValue.{op}", data)
        return unpack(result) if result else None

    async def get(self, key: str) -> GetResponse:
        return GetResponse.from_wire(await self.call("Get", self.p + key))

    async def set(self, key: str, value: str, expires: int = 0) -> None:
        assert await self.call("Set", SetRequest(self.p + key, value, expires)) is None

    async def delete(self, key: str) -> bool:
        return bool(await self.call("Del", self.p + key))

    async def contains(self, key: str) -> bool:
        return bool(await self.call("Contains", self.p + key))

    async def incr(self, key: str, value: int) -> int:
        return int(await self.call("Increment", IncrementRequest(self.p + key, value)))

    async def ladd(self, name: str, value: str) -> int:
        return int(await self.call("ListAdd", ListAddRequest(self.p + name, value)))

    async def ldel(self, name: str, value: str) -> bool:
        return bool(await self.call("ListDel", ListDelRequest(self.p + name, value)))

    async def lrange(self, name: str, start: int, stop: int) -> list[str]:
        return list(await self.call("ListRange", ListRangeRequest(self.p + name, start, stop)))

    async def lclear(self, name: str) -> bool:
        return bool(await self.call("ListClear", self.p + name))

    async def sadd(self, name: str, value: str) -> int:
        return int(await self.call("SetAdd", SetAddRequest(self.p + name, value)))

    async def sdel(self, name: str, value: str) -> int:
        return int(await self.call("SetDel", SetDelRequest(self.p + name, value)))

    async def smembers(self, name: str) -> list[str]:
        return list(await self.call("SetQuery", self.p + name))

    async def union(self, *names: str) -> list[str]:
        return list(await self.call("SetUnion", [self.p + n for n in names]))

    async def inter(self, *names: str) -> list[str]:
        return list(await self.call("SetIntersection", [self.p + n for n in names]))

    async def sclear(self, name: str) -> bool:
        return bool(await self.call("SetClear", self.p + name))


@dataclass
class KvProvider:
    proc: ProviderProcess
    lattice: LatticeSpec
    nc: Client

    @property
    def key(self) -> str:
        return self.proc.host_data.provider_key

    def link(self, actor: str, **values: str) -> LinkDefinition:
        return LinkDefinition(actor, self.key, CONTRACT, "default", values)

    def kv(self, actor: str) -> Kv:
        entity = WasmCloudEntity.provider(self.key, CONTRACT, "default")
        return Kv(ActorCaller(self.nc, self.lattice, entity, actor), self.lattice.prefix)


async def start_provider(nc: Client, lattice: LatticeSpec, links: list[LinkDefinition], key: str) -> ProviderProcess:
    proc = ProviderProcess.module(MODULE, lattice.host_data(key, links))
    await proc.start()
    await proc.wait_ready(nc)
    return proc


@pytest.fixture(params=["jetstream", "redis"])
async def kv(request: pytest.FixtureRequest, nc: Client, lattice: LatticeSpec) -> AsyncIterator[Kv]:
    """A provider with one linked actor on the backend of the parameter; its keys are removed afterwards."""
    key = module_claims(MODULE).subject
    actor = new_actor()
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        values = {"URL": url}
    else:
        values = {"bucket": f"{lattice.prefix}_kv"}
    link = LinkDefinition(actor, key, CONTRACT, "default", values)
    proc = await start_provider(nc, lattice, [link], key)
    try:
        yield KvProvider(proc, lattice, nc).kv(actor)
    finally:
        await proc.kill()
        if request.param == "redis":
            client = aioredis.Redis.from_url(values["URL"])
            stale = [k async for k in client.scan_iter(match=f"{lattice.prefix}*")]
            if stale:
                await client.delete(*stale)
            await client.aclose()
        else:
            await nc.jetstream().delete_key_value(values["bucket"])


async def test_get_set_contains_delete(kv: Kv) -> None:
    assert await kv.get("k") == GetResponse("", False)
    await kv.set("k", "v1")
    assert await kv.get("k") == GetResponse("v1", True)
    assert await kv.contains("k") is True
    await kv.set("k", "v2")
    assert (await kv.get("k")).value == "v2"
    assert await kv.delete("k") is True
    assert await kv.delete("k") is False
    assert await kv.contains("k") is False


async def test_keys_with_any_characters_and_the_empty_key(kv: Kv) -> None:
    odd = "a b.c/ü*>=3D\t"
    await kv.set(odd, "odd")
    await kv.set("", "empty-suffix")
    assert (await kv.get(odd)).value == "odd"
    assert (await kv.get("a b.c/ü*>")).exists is False
    assert (await kv.get("")).value == "empty-suffix"


async def test_expiring_keys_vanish_and_set_without_expiry_persists(kv: Kv) -> None:
    await kv.set("short", "x", expires=1)
    await kv.set("kept", "x", expires=1)
    await kv.set("kept", "y")
    assert (await kv.get("short")).exists is True
    await asyncio.sleep(1.3)
    assert await kv.get("short") == GetResponse("", False)
    assert await kv.contains("short") is False
    assert await kv.delete("short") is False
    assert await kv.get("kept") == GetResponse("y", True)


async def test_increment(kv: Kv) -> None:
    assert await kv.incr("n", 5) == 5
    assert await kv.incr("n", -7) == -2
    await kv.set("s", "41")
    assert await kv.incr("s", 1) == 42
    assert (await kv.get("s")).value == "42"


async def test_increment_is_atomic_under_concurrency(kv: Kv) -> None:
    results = await asyncio.gather(*(kv.incr("c", 1) for _ in range(40)))
    assert sorted(results) == list(range(1, 41))
    assert (await kv.get("c")).value == "40"


async def test_increment_keeps_the_expiry(kv: Kv) -> None:
    await kv.set("t", "5", expires=1)
    assert await kv.incr("t", 1) == 6
    await asyncio.sleep(1.3)
    assert await kv.contains("t") is False


@pytest.mark.parametrize(
    ("stored", "delta", "error"),
    [
        ("abc", 1, "ERR value is not an integer or out of range"),
        ("007", 1, "ERR value is not an integer or out of range"),
        ("-0", 1, "ERR value is not an integer or out of range"),
        ("2147483647", 1, "ERR increment or decrement would overflow"),
        ("-2147483648", -1, "ERR increment or decrement would overflow"),
        ("99999999999999999999", 1, "ERR value is not an integer or out of range"),
    ],
)
async def test_increment_errors(kv: Kv, stored: str, delta: int, error: str) -> None:
    await kv.set("bad", stored)
    with pytest.raises(RemoteError, match=error):
        await kv.incr("bad", delta)
    assert (await kv.get("bad")).value == stored


async def test_lists(kv: Kv) -> None:
    assert [await kv.ladd("l", v) for v in ("a", "b", "c", "b", "d")] == [1, 2, 3, 4, 5]
    assert await kv.lrange("l", 0, -1) == ["a", "b", "c", "b", "d"]
    assert await kv.lrange("l", 1, 2) == ["b", "c"]
    assert await kv.lrange("l", -2, -1) == ["b", "d"]
    assert await kv.lrange("l", -100, 1) == ["a", "b"]
    assert await kv.lrange("l", 3, 100) == ["b", "d"]
    assert await kv.lrange("l", 5, 10) == []
    assert await kv.lrange("l", 2, 1) == []
    assert await kv.ldel("l", "b") is True
    assert await kv.lrange("l", 0, -1) == ["a", "c", "b", "d"]
    assert await kv.ldel("l", "zz") is False
    assert await kv.lclear("l") is True
    assert await kv.lclear("l") is False
    assert await kv.lrange("missing", 0, -1) == []


async def test_an_emptied_list_or_set_disappears(kv: Kv) -> None:
    await kv.ladd("l1", "only")
    await kv.sadd("s1", "only")
    assert await kv.ldel("l1", "only") is True
    assert await kv.sdel("s1", "only") == 1
    assert await kv.contains("l1") is False
    assert await kv.contains("s1") is False


async def test_sets(kv: Kv) -> None:
    assert [await kv.sadd("s", v) for v in ("b", "a", "b", "c")] == [1, 1, 0, 1]
    assert await kv.smembers("s") == ["a", "b", "c"]
    assert await kv.sdel("s", "b") == 1
    assert await kv.sdel("s", "b") == 0
    for v in ("c", "d"):
        await kv.sadd("t", v)
    assert await kv.union("s", "t", "missing") == ["a", "c", "d"]
    assert await kv.inter("s", "t") == ["c"]
    assert await kv.inter("s", "missing") == []
    assert await kv.smembers("missing") == []
    assert await kv.sclear("s") is True
    assert await kv.sclear("s") is False
    with pytest.raises(RemoteError, match="SetUnion needs at least one set name"):
        await kv.union()


async def test_wrong_kinds_are_wrongtype_errors_and_set_overwrites_any_kind(kv: Kv) -> None:
    await kv.ladd("l", "x")
    await kv.sadd("s", "x")
    await kv.set("str", "x")
    for call in (kv.get("l"), kv.ladd("str", "y"), kv.smembers("l"), kv.sadd("l", "y"), kv.lrange("s", 0, -1)):
        with pytest.raises(RemoteError, match=WRONGTYPE):
            await call
    with pytest.raises(RemoteError, match=WRONGTYPE):
        await kv.incr("s", 1)
    with pytest.raises(RemoteError, match=WRONGTYPE):
        await kv.union("s", "l")
    assert await kv.delete("l") is True
    await kv.set("s", "now a string")
    assert (await kv.get("s")).value == "now a string"


async def test_wrong_field_types_are_error_replies(kv: Kv) -> None:
    with pytest.raises(RemoteError, match=r"SetRequest\.value must be a string"):
        await kv.caller.call("KeyValue.Set", pack({"key": "k", "value": 1}))
    with pytest.raises(RemoteError, match="payload must be a string, got an integer"):
        await kv.caller.call("KeyValue.Get", pack(5))
    with pytest.raises(RemoteError, match="not handled"):
        await kv.caller.call("KeyValue.Explode", pack("k"))


# --- links and failures --------------------------------------------------------------------------------------------


async def test_redis_down_is_an_error_reply_and_other_links_keep_serving(nc: Client, lattice: LatticeSpec) -> None:
    key = module_claims(MODULE).subject
    down, up = new_actor(), new_actor()
    links = [
        LinkDefinition(
            down, key, CONTRACT, "default", {"url": f"redis://127.0.0.1:{free_port()}", "TIMEOUT_MS": "500"}
        ),
        LinkDefinition(up, key, CONTRACT, "default", {"BUCKET": f"{lattice.prefix}_up"}),
    ]
    proc = await start_provider(nc, lattice, links, key)
    provider = KvProvider(proc, lattice, nc)
    try:
        with pytest.raises(RemoteError, match=r"Redis at redis://127\.0\.0\.1:\d+ is unreachable"):
            await provider.kv(down).set("k", "v")
        await provider.kv(up).set("k", "v")
        assert (await provider.kv(up).get("k")).value == "v"
    finally:
        await proc.kill()
        await nc.jetstream().delete_key_value(f"{lattice.prefix}_up")


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"URL": "http://127.0.0.1:6379"}, "is not a Redis URL"),
        ({"BUCKET": "no.dots"}, "may hold only letters"),
        ({"BACKEND": "etcd"}, "is not one of: jetstream, redis"),
        ({"TIMEOUT_MS": "soon"}, "is not an integer"),
    ],
)
async def test_unusable_link_values_refuse_the_link(
    nc: Client, lattice: LatticeSpec, values: dict[str, str], reason: str
) -> None:
    key = module_claims(MODULE).subject
    proc = await start_provider(nc, lattice, [], key)
    provider = KvProvider(proc, lattice, nc)
    actor = new_actor()
    try:
        await proc.put_link(nc, provider.link(actor, **values))

        async def refused() -> bool:
            return reason in ((await proc.health(nc)).message or "")

        await wait_until(refused, what="link refusal in health")
        with pytest.raises(RemoteError, match="unlinked actor"):
            await provider.kv(actor).get("k")
    finally:
        await proc.kill()


async def test_unlinking_keeps_the_data_and_relinking_sees_it(nc: Client, lattice: LatticeSpec) -> None:
    key = module_claims(MODULE).subject
    actor = new_actor()
    proc = await start_provider(nc, lattice, [], key)
    provider = KvProvider(proc, lattice, nc)
    link = provider.link(actor, bucket=f"{lattice.prefix}_relink")
    kv = provider.kv(actor)

    async def linked() -> bool:
        return (await kv.caller.invoke("KeyValue.Contains", pack("x"))).error is None

    try:
        await proc.put_link(nc, link)
        await wait_until(linked, what="link applied")
        await kv.set("k", "kept")
        await proc.del_link(nc, link)

        async def unlinked() -> bool:
            return not await linked()

        await wait_until(unlinked, what="link removed")
        await proc.put_link(nc, link)
        await wait_until(linked, what="link applied again")
        assert (await kv.get("k")).value == "kept"
    finally:
        await proc.kill()
        await nc.jetstream().delete_key_value(f"{lattice.prefix}_relink")
