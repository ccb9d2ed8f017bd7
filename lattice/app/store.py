"""Deployed applications live in the JetStream KV bucket ``LATTICEAPPS_{lattice}``, beside a leader lease.

Keys: ``APP_{name}`` (the manifest, the folder its relative refs resolve against, the facts of its modules and a
deployment revision), ``APPSTATUS_{name}`` (what the reconciler last saw fail) and ``RECONCILER_LEASE``.

The bucket is made with the replicas the hosts are given (``WASMLATTICE_JS_REPLICAS``) by whoever opens it first.
Writes are published to :func:`lattice.subjects.kv_write_subject` and acknowledged by the stream, so a host on a
leaf node whose lattice lives in another JetStream domain writes the hub's bucket (nats-py's KV writes do not
prefix the domain); compare-and-set uses the stream's expected-last-sequence header, as nats-py's KV does.

Every host runs a reconciler; only the holder of the lease acts. The lease is a KV entry updated with
compare-and-set on its revision, so two hosts can never both believe they hold it. A holder releases it when it
stops cleanly; a dead holder's lease is taken over as soon as the holder no longer answers a ping, or when it
runs out.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nats.js.api import Header
from nats.js.errors import KeyNotFoundError, NoKeysError

from lattice import subjects
from lattice.app.errors import AppError

DEFAULT_LEASE_TTL_S = 15.0
KV_OPERATION = "KV-Operation"
PURGE_HEADERS = {KV_OPERATION: "PURGE", Header.ROLLUP.value: "sub"}
DELETE_OPERATION = "DEL"

log = logging.getLogger(__name__)

IsAlive = Callable[[str], Awaitable[bool]]


@dataclass(frozen=True)
class StoredApp:
    name: str
    document: dict[str, Any]
    revision: int  # the KV sequence (for compare-and-set); the deployment revision is ``deployment``

    @property
    def deployment(self) -> int:
        """How many times this application was deployed (1 for the first deploy)."""
        value = self.document.get("deployment", 1)
        return value if isinstance(value, int) and value > 0 else 1


@dataclass(frozen=True)
class AppFailures:
    """What went wrong the last time the reconciler acted, per component name (cleared once it runs as wanted)."""

    components: Mapping[str, str] = field(default_factory=dict)


class AppStore:
    """Put, get, list and delete application manifests; their failure records; the reconciler lease."""

    def __init__(self, nc: Any, lattice: str, js_domain: str | None = None, replicas: int = 1) -> None:
        self._js = nc.jetstream(domain=js_domain) if js_domain else nc.jetstream()
        self._domain = js_domain
        self._replicas = replicas
        self._bucket = subjects.apps_bucket(lattice)
        self._kv: Any = None

    @property
    def bucket(self) -> str:
        return self._bucket

    async def _open(self) -> Any:
        if self._kv is None:
            try:
                self._kv = await self._js.key_value(self._bucket)
            except Exception:
                self._kv = await self._js.create_key_value(bucket=self._bucket, history=1, replicas=self._replicas)
        return self._kv

    async def _write(self, key: str, value: bytes = b"", headers: Mapping[str, str] | None = None) -> int:
        """Publish a write of ``key`` (through the JetStream domain, if any); the stream's sequence once stored."""
        await self._open()
        subject = subjects.kv_write_subject(self._bucket, key, self._domain)
        ack = await self._js.publish(subject, value, headers=dict(headers) if headers else None)
        return int(ack.seq)

    async def _swap(self, key: str, value: bytes, last: int, headers: Mapping[str, str] | None = None) -> None:
        """Write ``key`` only if its last revision is still ``last`` (0: it has none); raises when it moved on."""
        await self._write(key, value, {**(headers or {}), Header.EXPECTED_LAST_SUBJECT_SEQUENCE.value: str(last)})

    async def put(self, name: str, document: dict[str, Any]) -> int:
        return await self._write(subjects.app_key(name), json.dumps(document, sort_keys=True).encode())

    async def _get_json(self, key: str) -> tuple[bytes, int] | None:
        kv = await self._open()
        try:
            entry = await kv.get(key)
        except Exception:
            return None
        if entry.value is None or entry.operation in ("DEL", "PURGE") or not entry.value:
            return None
        return bytes(entry.value), int(entry.revision)

    async def get(self, name: str) -> StoredApp | None:
        found = await self._get_json(subjects.app_key(name))
        return None if found is None else StoredApp(name, _decode(found[0], name), found[1])

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
        if await self.get(name) is None:
            return False
        await self._write(subjects.app_key(name), headers=PURGE_HEADERS)
        await self.put_failures(name, AppFailures())
        return True

    # --- failure records ------------------------------------------------------------------------------------------

    async def failures(self, name: str) -> AppFailures:
        found = await self._get_json(subjects.app_status_key(name))
        if found is None:
            return AppFailures()
        try:
            body = json.loads(found[0])
            comps = body.get("components", {}) if isinstance(body, dict) else {}
            return AppFailures({str(k): str(v) for k, v in comps.items()} if isinstance(comps, dict) else {})
        except (ValueError, UnicodeDecodeError):
            return AppFailures()

    async def put_failures(self, name: str, failures: AppFailures) -> None:
        key = subjects.app_status_key(name)
        if not failures.components:
            if await self._get_json(key) is not None:
                await self._write(key, headers=PURGE_HEADERS)
            return
        body = {"components": dict(failures.components), "updated_at": time.time()}
        await self._write(key, json.dumps(body, sort_keys=True).encode())

    # --- the leader lease -----------------------------------------------------------------------------------------

    async def acquire_lease(
        self, holder: str, ttl_s: float = DEFAULT_LEASE_TTL_S, is_alive: IsAlive | None = None
    ) -> bool:
        """Take or renew the reconciler lease; True when ``holder`` holds it afterwards.

        Another holder's lease is taken over when it expired, or when ``is_alive`` says that holder is gone.
        """
        kv = await self._open()
        now = time.time()
        value = json.dumps({"holder": holder, "expires_at": now + ttl_s}).encode()
        last = 0
        try:
            entry = await kv.get(subjects.RECONCILER_LEASE_KEY)
        except KeyNotFoundError as exc:  # never taken (0), or released: the delete marker's revision
            entry, last = None, exc.entry.revision if exc.entry is not None else 0
        except Exception:
            entry = None
        try:
            if entry is None or not entry.value:
                await self._swap(subjects.RECONCILER_LEASE_KEY, value, entry.revision if entry is not None else last)
                return True
            current = json.loads(entry.value)
            other = str(current.get("holder", ""))
            expired = float(current.get("expires_at", 0)) < now
            if other != holder and not expired and (is_alive is None or await is_alive(other)):
                return False
            await self._swap(subjects.RECONCILER_LEASE_KEY, value, entry.revision)
            if other != holder:
                log.info("reconciler lease taken over from %s", other[:12] or "(nobody)")
            return True
        except Exception as exc:  # lost a compare-and-set race, or a malformed lease: someone else holds it
            log.debug("lease not taken: %s", exc)
            return False

    async def lease_holder(self) -> str | None:
        """Who holds the reconciler lease now (None when nobody does or it ran out)."""
        found = await self._get_json(subjects.RECONCILER_LEASE_KEY)
        if found is None:
            return None
        try:
            body = json.loads(found[0])
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(body, dict) or float(body.get("expires_at", 0)) < time.time():
            return None
        holder = body.get("holder")
        return holder if isinstance(holder, str) else None

    async def release_lease(self, holder: str) -> bool:
        """Give the lease up if ``holder`` holds it (on a clean stop), so another host need not wait for it."""
        kv = await self._open()
        try:
            entry = await kv.get(subjects.RECONCILER_LEASE_KEY)
            if not entry.value or json.loads(entry.value).get("holder") != holder:
                return False
            await self._swap(subjects.RECONCILER_LEASE_KEY, b"", entry.revision, {KV_OPERATION: DELETE_OPERATION})
        except Exception as exc:
            log.debug("lease not released: %s", exc)
            return False
        return True


def _decode(raw: bytes, name: str) -> dict[str, Any]:
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise AppError(f"stored application {name!r} is not JSON") from exc
    if not isinstance(document, dict):
        raise AppError(f"stored application {name!r} is not an object")
    return document
