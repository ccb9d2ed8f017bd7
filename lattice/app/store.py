"""Deployed applications live in the JetStream KV bucket ``LATTICEAPPS_{lattice}``, beside a leader lease.

Every host runs a reconciler; only the holder of the lease acts. The lease is a KV entry updated with
compare-and-set on its revision, so two hosts can never both believe they hold it; a dead holder's lease runs out
and another host takes over.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from nats.js.errors import NoKeysError

from lattice import subjects
from lattice.app.errors import AppError

DEFAULT_LEASE_TTL_S = 15.0

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredApp:
    name: str
    document: dict[str, Any]
    revision: int


class AppStore:
    """Put, get, list and delete application manifests; acquire the reconciler lease."""

    def __init__(self, nc: Any, lattice: str, js_domain: str | None = None) -> None:
        self._js = nc.jetstream(domain=js_domain) if js_domain else nc.jetstream()
        self._bucket = subjects.apps_bucket(lattice)
        self._kv: Any = None

    async def _open(self) -> Any:
        if self._kv is None:
            try:
                self._kv = await self._js.key_value(self._bucket)
            except Exception:
                self._kv = await self._js.create_key_value(bucket=self._bucket, history=1)
        return self._kv

    async def put(self, name: str, document: dict[str, Any]) -> int:
        kv = await self._open()
        revision: int = await kv.put(subjects.app_key(name), json.dumps(document, sort_keys=True).encode())
        return revision

    async def get(self, name: str) -> StoredApp | None:
        kv = await self._open()
        try:
            entry = await kv.get(subjects.app_key(name))
        except Exception:
            return None
        if entry.value is None or entry.operation in ("DEL", "PURGE"):
            return None
        return StoredApp(name, _decode(entry.value, name), entry.revision)

    async def list(self) -> list[StoredApp]:
        kv = await self._open()
        try:
            keys = await kv.keys()
        except NoKeysError:
            return []
        apps = []
        for key in sorted(k for k in keys if k.startswith(subjects.APP_KEY_PREFIX)):
            found = await self.get(key.removeprefix(subjects.APP_KEY_PREFIX))
            if found is not None:
                apps.append(found)
        return apps

    async def delete(self, name: str) -> bool:
        kv = await self._open()
        if await self.get(name) is None:
            return False
        await kv.purge(subjects.app_key(name))
        return True

    async def acquire_lease(self, holder: str, ttl_s: float = DEFAULT_LEASE_TTL_S) -> bool:
        """Take or renew the reconciler lease; True when ``holder`` holds it afterwards."""
        kv = await self._open()
        now = time.time()
        value = json.dumps({"holder": holder, "expires_at": now + ttl_s}).encode()
        try:
            entry = await kv.get(subjects.RECONCILER_LEASE_KEY)
        except Exception:
            entry = None
        try:
            if entry is None or entry.value is None:
                await kv.create(subjects.RECONCILER_LEASE_KEY, value)
                return True
            current = json.loads(entry.value)
            if current.get("holder") == holder or float(current.get("expires_at", 0)) < now:
                await kv.update(subjects.RECONCILER_LEASE_KEY, value, last=entry.revision)
                return True
        except Exception as exc:  # lost a compare-and-set race, or a malformed lease: someone else holds it
            log.debug("lease not taken: %s", exc)
            return False
        return False


def _decode(raw: bytes, name: str) -> dict[str, Any]:
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise AppError(f"stored application {name!r} is not JSON") from exc
    if not isinstance(document, dict):
        raise AppError(f"stored application {name!r} is not an object")
    return document
