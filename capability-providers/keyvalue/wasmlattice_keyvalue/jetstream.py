"""The NATS JetStream KV backend: one bucket per link, Redis semantics on top of it.

Values: a string is stored as its UTF-8 bytes (so ``nats kv get`` shows it as is); a list or a set as a JSON
array, marked by the header ``Wasmlattice-Kv-Kind``. Expiry: the deadline (unix ms) travels in the header
``Wasmlattice-Kv-Expires``, and every read treats a key past its deadline as absent, so expiry is exact to the
millisecond on any server. When the bucket allows per-message TTL (nats-server 2.11+, buckets created by nats-py
2.16+), the message also carries ``Nats-TTL`` so the server removes it; Increment re-applies the remaining TTL.
Read-modify-write operations are compare-and-set loops on the subject's last sequence. Keys are escaped into the
KV key alphabet (see :func:`encode_key`).
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import nats.errors
import nats.js.errors

from lattice import subjects
from wasmlattice_keyvalue.errors import KeyValueError, StoreContention, StoreUnavailable, WrongType
from wasmlattice_keyvalue.semantics import incremented, list_range, sorted_members

KIND_HEADER = "Wasmlattice-Kv-Kind"
EXPIRES_HEADER = "Wasmlattice-Kv-Expires"
KV_OPERATION = "KV-Operation"
EXPECTED_LAST_SUBJECT_SEQ = "Nats-Expected-Last-Subject-Sequence"
ROLLUP = "Nats-Rollup"
WRONG_LAST_SEQUENCE_CODES = (10071, 10164)
MAX_CAS_ATTEMPTS = 50
_KEY_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-/")
EMPTY_KEY = "="

T = TypeVar("T")
log = logging.getLogger(__name__)


class Kind(enum.StrEnum):
    STRING = "string"
    LIST = "list"
    SET = "set"


@dataclass(frozen=True)
class Record:
    kind: Kind
    text: str = ""
    items: tuple[str, ...] = ()
    expires_at_ms: int | None = None


DELETE = Record(Kind.STRING)  # sentinel write: purge the key


def encode_key(key: str) -> str:
    """Escape a key into the KV alphabet: ``[A-Za-z0-9_/-]`` kept, every other UTF-8 byte as ``=XX``; "" is "="."""
    if not key:
        return EMPTY_KEY
    return "".join(c if c in _KEY_SAFE else "".join(f"={b:02X}" for b in c.encode()) for c in key)


def decode_key(encoded: str) -> str:
    if encoded == EMPTY_KEY:
        return ""
    out, i = bytearray(), 0
    while i < len(encoded):
        if encoded[i] == "=":
            out.append(int(encoded[i + 1 : i + 3], 16))
            i += 3
        else:
            out += encoded[i].encode()
            i += 1
    return out.decode()


def now_ms() -> int:
    return int(time.time() * 1000)


def _parse(msg: Any) -> Record | None:
    try:
        return _parse_record(msg)
    except (ValueError, TypeError) as exc:
        raise KeyValueError(f"stored value at {msg.subject} is not readable: {exc}") from exc


def _parse_record(msg: Any) -> Record | None:
    headers = msg.headers or {}
    if headers.get(KV_OPERATION) in ("DEL", "PURGE"):
        return None
    expires = headers.get(EXPIRES_HEADER)
    expires_at = int(expires) if expires else None
    if expires_at is not None and expires_at <= now_ms():
        return None
    kind = Kind(headers.get(KIND_HEADER) or Kind.STRING)
    data = bytes(msg.data or b"")
    if kind is Kind.STRING:
        return Record(kind, text=data.decode("utf-8", "replace"), expires_at_ms=expires_at)
    items = json.loads(data)
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        raise ValueError(f"a {kind.value} is a JSON array of strings")
    return Record(kind, items=tuple(items), expires_at_ms=expires_at)


def _unavailable(bucket: str, exc: BaseException) -> StoreUnavailable:
    reason = str(exc) or type(exc).__name__
    return StoreUnavailable(f"NATS JetStream bucket {bucket} is unavailable: {reason}")


class JetStreamStore:
    """One JetStream KV bucket, bound (or created) at link time — or, when JetStream does not answer then (a
    stream electing a leader, a node or the whole server away), on the first operation that finds it answering.
    Until then every operation fails with :class:`StoreUnavailable`; the link itself is kept."""

    def __init__(self, js: Any, bucket: str, replicas: int = 1) -> None:
        self._js = js
        self.bucket = bucket
        self._stream = subjects.kv_stream(bucket)
        self._replicas = replicas
        self._direct = False
        self.msg_ttl = False
        self._bound = False
        self._binding = asyncio.Lock()

    @classmethod
    async def open(
        cls, nc: Any, bucket: str, js_domain: str | None, timeout_s: float, replicas: int = 1
    ) -> JetStreamStore:
        """A store for ``bucket``, created with ``replicas`` JetStream replicas when it does not exist yet."""
        js = nc.jetstream(domain=js_domain, timeout=timeout_s) if js_domain else nc.jetstream(timeout=timeout_s)
        store = cls(js, bucket, replicas)
        try:
            await store.bind()
        except StoreUnavailable as exc:
            log.warning("%s; binding on first use", exc)
        return store

    @property
    def bound(self) -> bool:
        return self._bound

    async def bind(self) -> None:
        """Look the bucket up (creating it when missing) and note its stream's options; once is enough."""
        if self._bound:
            return
        async with self._binding:
            if self._bound:
                return
            try:
                try:
                    kv = await self._js.key_value(self.bucket)
                except nats.js.errors.BucketNotFoundError:
                    kv = await self._js.create_key_value(bucket=self.bucket, history=1, replicas=self._replicas)
                status = await kv.status()
            except (nats.errors.Error, TimeoutError, OSError) as exc:
                raise _unavailable(self.bucket, exc) from exc
            config = status.stream_info.config
            self._direct, self.msg_ttl = bool(config.allow_direct), bool(config.allow_msg_ttl)
            self._bound = True

    def _subject(self, key: str) -> str:
        return subjects.kv_subject(self.bucket, encode_key(key))

    async def _read(self, key: str) -> tuple[Record | None, int]:
        """The live record (None when absent, deleted or expired) and the subject's last sequence (0 if none)."""
        await self.bind()
        try:
            msg = await self._js.get_msg(self._stream, subject=self._subject(key), direct=self._direct)
        except nats.js.errors.NotFoundError:
            return None, 0
        except (nats.errors.Error, TimeoutError, OSError) as exc:
            raise _unavailable(self.bucket, exc) from exc
        return _parse(msg), int(msg.seq or 0)

    async def _write(self, key: str, record: Record, expect_seq: int | None) -> bool:
        """Publish ``record`` (or a purge for :data:`DELETE`); False when ``expect_seq`` lost the race."""
        await self.bind()
        headers: dict[str, str] = {}
        if expect_seq is not None:
            headers[EXPECTED_LAST_SUBJECT_SEQ] = str(expect_seq)
        ttl: int | None = None
        if record is DELETE:
            headers |= {KV_OPERATION: "PURGE", ROLLUP: "sub"}
            data = b""
        else:
            data = record.text.encode() if record.kind is Kind.STRING else json.dumps(list(record.items)).encode()
            if record.kind is not Kind.STRING:
                headers[KIND_HEADER] = record.kind.value
            if record.expires_at_ms is not None:
                headers[EXPIRES_HEADER] = str(record.expires_at_ms)
                if self.msg_ttl:
                    ttl = max(1, math.ceil((record.expires_at_ms - now_ms()) / 1000))
        try:
            await self._js.publish(self._subject(key), data, headers=headers or None, msg_ttl=ttl)
        except nats.js.errors.APIError as exc:
            if exc.err_code in WRONG_LAST_SEQUENCE_CODES:
                return False
            raise _unavailable(self.bucket, exc) from exc
        except (nats.errors.Error, TimeoutError, OSError) as exc:
            raise _unavailable(self.bucket, exc) from exc
        return True

    async def _mutate(self, key: str, change: Callable[[Record | None], tuple[Record | None, T]]) -> T:
        """Compare-and-set: ``change(current)`` gives (record to write or None for no write, result)."""
        for _ in range(MAX_CAS_ATTEMPTS):
            current, seq = await self._read(key)
            record, result = change(current)
            if record is None or await self._write(key, record, seq):
                return result
        raise StoreContention(f"key {key!r} changed {MAX_CAS_ATTEMPTS} times while being updated; try again")

    @staticmethod
    def _of_kind(record: Record | None, kind: Kind) -> Record | None:
        if record is not None and record.kind is not kind:
            raise WrongType()
        return record

    # --- strings ----------------------------------------------------------------------------------------------------

    async def get(self, key: str) -> str | None:
        record = self._of_kind((await self._read(key))[0], Kind.STRING)
        return None if record is None else record.text

    async def set(self, key: str, value: str, expires_s: int) -> None:
        expires_at = now_ms() + expires_s * 1000 if expires_s else None
        await self._write(key, Record(Kind.STRING, text=value, expires_at_ms=expires_at), None)

    async def delete(self, key: str) -> bool:
        return await self._mutate(key, lambda cur: (None, False) if cur is None else (DELETE, True))

    async def contains(self, key: str) -> bool:
        return (await self._read(key))[0] is not None

    async def increment(self, key: str, delta: int) -> int:
        def change(cur: Record | None) -> tuple[Record, int]:
            cur = self._of_kind(cur, Kind.STRING)
            value = incremented(None if cur is None else cur.text, delta)
            expires = None if cur is None else cur.expires_at_ms
            return Record(Kind.STRING, text=str(value), expires_at_ms=expires), value

        return await self._mutate(key, change)

    # --- lists ------------------------------------------------------------------------------------------------------

    async def list_add(self, name: str, value: str) -> int:
        def change(cur: Record | None) -> tuple[Record, int]:
            cur = self._of_kind(cur, Kind.LIST) or Record(Kind.LIST)
            items = (*cur.items, value)
            return replace(cur, items=items), len(items)

        return await self._mutate(name, change)

    async def list_del(self, name: str, value: str) -> bool:
        def change(cur: Record | None) -> tuple[Record | None, bool]:
            cur = self._of_kind(cur, Kind.LIST)
            if cur is None or value not in cur.items:
                return None, False
            items = list(cur.items)
            items.remove(value)
            return (replace(cur, items=tuple(items)) if items else DELETE), True

        return await self._mutate(name, change)

    async def list_range(self, name: str, start: int, stop: int) -> list[str]:
        record = self._of_kind((await self._read(name))[0], Kind.LIST)
        return [] if record is None else list_range(record.items, start, stop)

    # --- sets -------------------------------------------------------------------------------------------------------

    async def set_add(self, name: str, value: str) -> int:
        def change(cur: Record | None) -> tuple[Record | None, int]:
            cur = self._of_kind(cur, Kind.SET) or Record(Kind.SET)
            if value in cur.items:
                return None, 0
            return replace(cur, items=(*cur.items, value)), 1

        return await self._mutate(name, change)

    async def set_del(self, name: str, value: str) -> int:
        def change(cur: Record | None) -> tuple[Record | None, int]:
            cur = self._of_kind(cur, Kind.SET)
            if cur is None or value not in cur.items:
                return None, 0
            items = tuple(v for v in cur.items if v != value)
            return (replace(cur, items=items) if items else DELETE), 1

        return await self._mutate(name, change)

    async def _members(self, name: str) -> frozenset[str]:
        record = self._of_kind((await self._read(name))[0], Kind.SET)
        return frozenset() if record is None else frozenset(record.items)

    async def set_members(self, name: str) -> list[str]:
        return sorted_members(await self._members(name))

    async def set_union(self, names: Sequence[str]) -> list[str]:
        out: frozenset[str] = frozenset()
        for name in names:
            out |= await self._members(name)
        return sorted_members(out)

    async def set_intersection(self, names: Sequence[str]) -> list[str]:
        sets = [await self._members(name) for name in names]
        return sorted_members(frozenset.intersection(*sets)) if sets else []

    async def close(self) -> None:
        """Nothing to release: the bucket lives on, the connection is the provider's."""
