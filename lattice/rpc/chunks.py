"""Large payloads through the JetStream object store named after the lattice (docs/protocol.md §4.6).

Objects: ``{invocation_id}`` for a request body, ``{invocation_id}-r`` for a response body. The reader deletes an
object after reading it; a failed delete is not fatal.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from lattice import subjects
from lattice.rpc.errors import ChunkError

CHUNK_THRESHOLD_BYTES = 900 * 1024
CHUNK_EXTRA_TIMEOUT_S = 13.0
DEFAULT_MAX_CHUNKED_BYTES = 64 * 1024 * 1024

log = logging.getLogger(__name__)


class ChunkStore:
    """The lattice's object store, opened (or created) on first use."""

    def __init__(
        self,
        nc: Any,
        lattice: str,
        js_domain: str | None = None,
        max_bytes: int = DEFAULT_MAX_CHUNKED_BYTES,
    ) -> None:
        self._js = nc.jetstream(domain=js_domain) if js_domain else nc.jetstream()
        self._bucket = subjects.object_store_bucket(lattice)
        self._store: Any = None
        self._lock = asyncio.Lock()
        self.max_bytes = max_bytes

    async def _open(self) -> Any:
        async with self._lock:
            if self._store is None:
                try:
                    self._store = await self._js.object_store(self._bucket)
                except Exception:
                    self._store = await self._js.create_object_store(self._bucket)
            return self._store

    async def put(self, name: str, data: bytes) -> None:
        if len(data) > self.max_bytes:
            raise ChunkError(f"payload of {len(data)} bytes exceeds the chunking limit of {self.max_bytes}")
        try:
            store = await self._open()
            await store.put(name, data)
        except ChunkError:
            raise
        except Exception as exc:
            raise ChunkError(f"could not store chunked payload {name}: {exc}") from exc

    async def discard(self, name: str) -> None:
        """Delete an object nobody will read (e.g. a request body whose request failed); failures are only logged."""
        try:
            store = await self._open()
            await store.delete(name)
        except Exception as exc:
            log.debug("could not delete chunk object %s: %s", name, exc)

    async def take(self, name: str, expected_length: int) -> bytes:
        """Read an object and delete it; its length must be ``expected_length``."""
        if expected_length > self.max_bytes:
            raise ChunkError(f"announced payload of {expected_length} bytes exceeds the limit of {self.max_bytes}")
        try:
            store = await self._open()
            result = await store.get(name)
        except Exception as exc:
            raise ChunkError(f"could not fetch chunked payload {name}: {exc}") from exc
        data = bytes(result.data or b"")
        try:
            await store.delete(name)
        except Exception as exc:  # not fatal (docs/protocol.md §4.6)
            log.debug("could not delete chunk object %s: %s", name, exc)
        if len(data) != expected_length:
            raise ChunkError(f"chunked payload {name} has {len(data)} bytes, announced {expected_length}")
        return data
