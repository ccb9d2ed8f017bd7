"""The Redis backend (redis-py asyncio): the reference semantics, one client (connection pool) per link.

Increment is a Lua script, so the i32 range check and the update are one atomic step and a key's TTL is kept.
Set results are sorted (Redis's own order is unspecified) to answer exactly as the JetStream backend does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

import redis.asyncio as aioredis
import redis.exceptions

from lattice.interfaces import I32_MAX, I32_MIN
from wasmlattice_keyvalue.errors import (
    NOT_INTEGER_MESSAGE,
    OVERFLOW_MESSAGE,
    IncrementOverflow,
    KeyValueError,
    NotAnInteger,
    StoreUnavailable,
    WrongType,
)
from wasmlattice_keyvalue.semantics import sorted_members
from wasmlattice_keyvalue.settings import redact

T = TypeVar("T")

INCREMENT_SCRIPT = f"""
local cur = redis.call('GET', KEYS[1])
if cur == false then cur = '0' end
local digits = string.gsub(cur, '^%-', '')
if not string.match(digits, '^%d+$') or #digits > 19 or (string.sub(digits, 1, 1) == '0' and cur ~= '0') then
  return redis.error_reply('{NOT_INTEGER_MESSAGE.removeprefix("ERR ")}')
end
local n = tonumber(cur) + tonumber(ARGV[1])
if n < {I32_MIN} or n > {I32_MAX} then
  return redis.error_reply('{OVERFLOW_MESSAGE.removeprefix("ERR ")}')
end
redis.call('SET', KEYS[1], tostring(n), 'KEEPTTL')
return n
"""


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


class RedisStore:
    def __init__(self, url: str, timeout_s: float) -> None:
        self.url = url
        self._client: Any = aioredis.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s, retry_on_timeout=False
        )
        self._increment = self._client.register_script(INCREMENT_SCRIPT)

    async def _run(self, call: Awaitable[T]) -> T:
        try:
            return await call
        except redis.exceptions.ResponseError as exc:
            text = str(exc)
            if text.startswith("WRONGTYPE"):
                raise WrongType() from exc
            if OVERFLOW_MESSAGE.removeprefix("ERR ") in text:
                raise IncrementOverflow() from exc
            if NOT_INTEGER_MESSAGE.removeprefix("ERR ") in text:
                raise NotAnInteger() from exc
            raise KeyValueError(f"Redis refused the command: {text}") from exc
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
            raise StoreUnavailable(f"Redis at {redact(self.url)} is unreachable: {exc}") from exc
        except redis.exceptions.RedisError as exc:
            raise KeyValueError(f"Redis failed: {exc}") from exc

    async def get(self, key: str) -> str | None:
        value = await self._run(self._client.get(key))
        return None if value is None else _text(value)

    async def set(self, key: str, value: str, expires_s: int) -> None:
        await self._run(self._client.set(key, value, ex=expires_s or None))

    async def delete(self, key: str) -> bool:
        return bool(await self._run(self._client.delete(key)))

    async def contains(self, key: str) -> bool:
        return bool(await self._run(self._client.exists(key)))

    async def increment(self, key: str, delta: int) -> int:
        return int(await self._run(self._increment(keys=[key], args=[delta])))

    async def list_add(self, name: str, value: str) -> int:
        return int(await self._run(self._client.rpush(name, value)))

    async def list_del(self, name: str, value: str) -> bool:
        return bool(await self._run(self._client.lrem(name, 1, value)))

    async def list_range(self, name: str, start: int, stop: int) -> list[str]:
        return [_text(v) for v in await self._run(self._client.lrange(name, start, stop))]

    async def set_add(self, name: str, value: str) -> int:
        return int(await self._run(self._client.sadd(name, value)))

    async def set_del(self, name: str, value: str) -> int:
        return int(await self._run(self._client.srem(name, value)))

    async def set_members(self, name: str) -> list[str]:
        return sorted_members(_text(v) for v in await self._run(self._client.smembers(name)))

    async def set_union(self, names: Sequence[str]) -> list[str]:
        return sorted_members(_text(v) for v in await self._run(self._client.sunion(list(names))))

    async def set_intersection(self, names: Sequence[str]) -> list[str]:
        return sorted_members(_text(v) for v in await self._run(self._client.sinter(list(names))))

    async def close(self) -> None:
        await self._client.aclose()
