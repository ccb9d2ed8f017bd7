"""The lattice bucket ``LATTICEDATA_{lattice}`` (docs/protocol.md §7.2, §7.3): open or create it, write it, watch it.

Every host watches the whole bucket (deliver last-per-subject) and mirrors it into a :class:`LatticeCache`, so a
link written straight into the bucket by any client takes effect. Once the initial replay is done, each link put or
delete is announced: msgpack to ``…{provider}.{link}.linkdefs.put/del`` and a ``linkdef_set/deleted`` event.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BucketNotFoundError

from host import events
from host.state.cache import LatticeCache, LinkChange, LinkDeleted, LinkPut
from host.state.errors import StateError, StateUnavailable
from host.state.records import encode_record, refmap_record
from lattice import subjects
from lattice.subjects import ProviderChannel
from lattice.wire import LinkDefinition, link_id

KV_HISTORY = 1
WATCH_RETRY_S = 1.0
WATCH_CHECK_S = 0.5  # how often an idle watch checks whether the connection reconnected
KV_DELETE_OPS = frozenset({"DEL", "PURGE"})
KV_PURGE_HEADERS = {"KV-Operation": "PURGE", "Nats-Rollup": "sub"}

log = logging.getLogger(__name__)


class LatticeStore:
    """Reads and writes the lattice bucket; :meth:`watch` keeps :attr:`cache` in step with it."""

    def __init__(self, nc: Any, lattice: str, js_domain: str | None = None, replicas: int = 1) -> None:
        self._replicas = replicas
        self._nc = nc
        self._js = nc.jetstream(domain=js_domain) if js_domain else nc.jetstream()
        self._domain = js_domain
        self.lattice = lattice
        self.bucket = subjects.lattice_bucket(lattice)
        self.cache = LatticeCache()
        self.synced = asyncio.Event()
        self._kv: Any = None

    async def open(self) -> None:
        """Bind to the bucket, creating it with OTP's settings (history 1, file storage) if it is missing."""
        try:
            try:
                self._kv = await self._js.key_value(self.bucket)
            except BucketNotFoundError:
                config = KeyValueConfig(
                    bucket=self.bucket,
                    history=KV_HISTORY,
                    storage=StorageType.FILE,
                    direct=True,
                    replicas=self._replicas,
                )
                self._kv = await self._js.create_key_value(config)
        except Exception as exc:
            raise StateUnavailable(f"cannot open lattice bucket {self.bucket}: is JetStream enabled? ({exc})") from exc

    @property
    def kv(self) -> Any:
        if self._kv is None:
            raise StateUnavailable("the lattice bucket is not open")
        return self._kv

    # --- writes ---------------------------------------------------------------------------------------------------

    async def _write(self, key: str, value: bytes, headers: dict[str, str] | None = None) -> None:
        """Publish a write of ``key`` and wait for the stream's ack (through the JetStream domain when there is one:
        nats-py's own ``put`` does not prefix it, so a host on a leaf node could not write the hub's bucket)."""
        if self._kv is None:
            raise StateUnavailable("the lattice bucket is not open")
        await self._js.publish(subjects.kv_write_subject(self.bucket, key, self._domain), value, headers=headers)

    async def _put(self, key: str, value: bytes) -> None:
        try:
            await self._write(key, value)
        except StateError:
            raise
        except Exception as exc:
            raise StateUnavailable(f"cannot write {key} to {self.bucket}: {exc}") from exc
        # Read-your-writes: the watch applies the entry again and announces link puts. A link that moved to another
        # provider is announced as deleted here, because the watch will no longer see the old provider.
        for change in self.cache.apply(key, value):
            if isinstance(change, LinkDeleted):
                await self.announce(change)

    async def put_link(self, link: LinkDefinition) -> None:
        await self._put(subjects.linkdef_key(link.id), link.encode_json())

    async def delete_link(self, actor_id: str, contract_id: str, link_name: str) -> bool:
        """Purge a link; False when this host does not know it (it is purged anyway)."""
        key = subjects.linkdef_key(link_id(actor_id, contract_id, link_name))
        known = self.cache.link_by_key(key) is not None
        try:
            await self._write(key, b"", KV_PURGE_HEADERS)
        except Exception as exc:
            raise StateUnavailable(f"cannot delete {key} from {self.bucket}: {exc}") from exc
        return known

    async def put_claims(self, record: Mapping[str, str]) -> None:
        await self._put(subjects.claims_key(record["sub"]), encode_record(record))

    async def put_refmap(self, image_ref: str, public_key: str) -> None:
        await self._put(subjects.refmap_key(image_ref), encode_record(refmap_record(image_ref, public_key)))

    # --- watching -------------------------------------------------------------------------------------------------

    async def watch(self) -> None:
        """Mirror the bucket forever (run it as a task; cancel to stop). Re-watches after errors and reconnects (the
        replay re-announces every link, which providers take as duplicate puts)."""
        while True:
            try:
                await self._watch_once()
                continue  # it ended on a reconnect: watch again at once
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("lattice bucket watch failed (%s); retrying in %.0fs", exc, WATCH_RETRY_S)
            await asyncio.sleep(WATCH_RETRY_S)

    def _reconnects(self) -> int:
        return int(getattr(self._nc, "stats", {}).get("reconnects", 0))

    async def _watch_once(self) -> None:
        """Watch until the connection reconnects: the watch's consumer may not have survived the server (a restart
        or the loss of a cluster node), and nats-py only notices after missed heartbeats, if at all."""
        watcher = await self.kv.watchall()
        tasks = [asyncio.create_task(self._mirror(watcher)), asyncio.create_task(self._reconnected())]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # a failed mirror raises here
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            try:
                await watcher.stop()
            except Exception as exc:
                log.debug("stopping the bucket watcher failed: %s", exc)

    async def _mirror(self, watcher: Any) -> None:
        async for entry in watcher:
            if entry is None:
                self.synced.set()
                continue
            deleted = entry.operation in KV_DELETE_OPS
            await self._apply(entry.key, None if deleted else bytes(entry.value or b""))

    async def _reconnected(self) -> None:
        """Return once the connection has reconnected (nats-py offers no hook besides its connect-time callback)."""
        seen = self._reconnects()
        while self._reconnects() == seen:  # noqa: ASYNC110 - a counter, not an event, tells
            await asyncio.sleep(WATCH_CHECK_S)
        log.info("reconnected to NATS: watching the lattice bucket %s afresh", self.bucket)

    async def _apply(self, key: str, value: bytes | None) -> None:
        try:
            changes = self.cache.apply(key, value)
        except StateError as exc:
            log.warning("ignoring lattice bucket entry %s: %s", key, exc)
            return
        if self.synced.is_set():
            for change in changes:
                await self.announce(change)

    async def announce(self, change: LinkChange) -> None:
        """Tell the link's provider (msgpack, plain publish) and the lattice (event) about a link change."""
        link = change.link
        put = isinstance(change, LinkPut)
        channel = ProviderChannel.LINKDEFS_PUT if put else ProviderChannel.LINKDEFS_DEL
        subject = subjects.provider_channel(self.lattice, link.provider_id, link.link_name, channel)
        try:
            await self._nc.publish(subject, link.encode_msgpack())
        except Exception as exc:
            log.warning("could not publish link %s to its provider: %s", link.id, exc)
        event = events.linkdef_set(link) if put else events.linkdef_deleted(link)
        await events.publish(self._nc, self.lattice, event)
