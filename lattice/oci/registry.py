"""The lattice's own registry: artifacts in the JetStream object store ``LATTICEREGISTRY_{lattice}``.

Refs are ``lattice://repository:tag`` or ``lattice://repository@sha256:hex`` (see docs/adr/0010). Objects:

* ``blobs/sha256/{hex}`` — the artifact bytes, named by their digest (written once; a second push of the same
  bytes uploads nothing);
* ``tags/{repository}:{tag}`` — a small JSON record ``{"digest", "size", "mediaType", "kind"}``.

A pull reads the tag record (one request), then the blob unless the digest is in the disk cache; a digest-pinned
pull whose blob is cached touches no NATS at all. Bytes are checked against the digest before use. On a leaf node
the bucket lives in the hub's JetStream domain: pass that domain (``WASMCLOUD_JS_DOMAIN``) as ``js_domain``.
"""

from __future__ import annotations

import io
import json
from typing import Any

from nats.errors import ConnectionClosedError, NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import ObjectStoreConfig, StorageType
from nats.js.errors import BucketNotFoundError, NotFoundError, ObjectNotFoundError, ServiceUnavailableError

from lattice import subjects
from lattice.oci import errors as e
from lattice.oci.artifact import Artifact, PushResult, Source, Validate, run_validate
from lattice.oci.media import LAYER_FOR_PUSH, ArtifactKind, kind_of, sha256_digest
from lattice.oci.pull import cache_of, check_artifact, deadline
from lattice.oci.refs import LatticeRef, check_latest, parse_lattice_ref
from lattice.oci.settings import OciSettings

TAG_RECORD_MAX_BYTES = 64 * 1024
_NATS_DOWN = (ConnectionClosedError, NoRespondersError, ServiceUnavailableError)


class LatticeRegistry:
    """Push to and pull from the registry of ``lattice`` over the connection ``nc``."""

    def __init__(
        self,
        nc: Any,
        lattice: str,
        settings: OciSettings | None = None,
        *,
        js_domain: str | None = None,
        replicas: int = 1,
    ) -> None:
        self._js = nc.jetstream(domain=js_domain) if js_domain else nc.jetstream()
        self.bucket = subjects.registry_bucket(lattice)
        self.settings = settings or OciSettings()
        self.cache = cache_of(self.settings)
        self.replicas = replicas
        self.requests = 0  # object store operations (the tests and benchmarks count them)

    async def _store(self, ref: str, create: bool) -> Any:
        self.requests += 1
        try:
            return await self._js.object_store(self.bucket)
        except (BucketNotFoundError, NotFoundError) as exc:
            if not create:
                raise e.OciNotFound(
                    ref, f"the lattice registry ({self.bucket}) is empty: push something first"
                ) from exc
        except _NATS_DOWN as exc:
            raise e.OciUnreachable(ref, f"JetStream of the lattice registry does not answer: {exc}") from exc
        self.requests += 1
        config = ObjectStoreConfig(bucket=self.bucket, storage=StorageType.FILE, replicas=self.replicas)
        return await self._js.create_object_store(self.bucket, config=config)

    async def pull(self, ref: str, kind: ArtifactKind | None = None, *, validate: Validate | None = None) -> Artifact:
        target = parse_lattice_ref(ref)
        check_latest(ref, target, self.settings.allow_latest)
        async with deadline(ref, self.settings.timeouts.total_s):
            try:
                return await self._pull(ref, target, kind, validate)
            except NatsTimeoutError as exc:
                raise e.OciTimeout(ref, "the lattice registry did not answer in time") from exc
            except _NATS_DOWN as exc:
                raise e.OciUnreachable(ref, f"the lattice registry is not reachable: {exc}") from exc

    async def _pull(
        self, ref: str, target: LatticeRef, kind: ArtifactKind | None, validate: Validate | None
    ) -> Artifact:
        store: Any = None
        media_type: str | None = None
        if target.digest is not None:
            digest = target.digest
        else:
            store = await self._store(ref, create=False)
            digest, media_type = await self._resolve_tag(ref, store, target)
        data = self.cache.get(digest, self.settings.limits.max_blob_bytes) if self.cache is not None else None
        cached = data is not None
        if data is None:
            store = store or await self._store(ref, create=False)
            data = await self._fetch(ref, store, digest)
        found = kind_of(media_type or "", data)
        if kind is not None and found is not kind:
            raise e.OciWrongMediaType(ref, f"holds {found.noun}, not {kind.noun}")
        await run_validate(validate, data)
        if self.cache is not None and not cached:
            self.cache.put(digest, data)
        return Artifact(ref, found, data, digest, media_type or LAYER_FOR_PUSH[found], Source.LATTICE, cached)

    async def _resolve_tag(self, ref: str, store: Any, target: LatticeRef) -> tuple[str, str | None]:
        name = subjects.registry_tag_object(target.repository, target.tag or "latest")
        self.requests += 1
        try:
            info = await store.get_info(name)
            if (info.size or 0) > TAG_RECORD_MAX_BYTES:
                raise e.OciManifestInvalid(ref, f"tag record of {info.size} bytes is over {TAG_RECORD_MAX_BYTES}")
            record = json.loads((await store.get(name)).data or b"")
        except ObjectNotFoundError as exc:
            raise e.OciNotFound(ref, "no such repository or tag in the lattice registry") from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise e.OciManifestInvalid(ref, f"tag record is not JSON: {exc}") from exc
        digest = record.get("digest") if isinstance(record, dict) else None
        if not isinstance(digest, str) or not digest.startswith("sha256:") or len(digest) != 71:
            raise e.OciManifestInvalid(ref, "tag record names no sha256 digest")
        media_type = record.get("mediaType")
        return digest, media_type if isinstance(media_type, str) else None

    async def _fetch(self, ref: str, store: Any, digest: str) -> bytes:
        name = subjects.registry_blob_object(digest)
        limit = self.settings.limits.max_blob_bytes
        self.requests += 1
        try:
            info = await store.get_info(name)
            if (info.size or 0) > limit:
                raise e.OciTooLarge(ref, f"artifact {digest} of {info.size} bytes is over the limit of {limit}")
            sink = io.BytesIO()
            await store.get(name, writeinto=sink)
        except ObjectNotFoundError as exc:
            raise e.OciNotFound(ref, f"blob {digest} is not in the lattice registry") from exc
        data = sink.getvalue()
        actual = sha256_digest(data)
        if actual != digest:
            raise e.OciDigestMismatch(ref, f"stored bytes hash to {actual}, not {digest}: refused")
        return data

    async def push(self, ref: str, data: bytes, kind: ArtifactKind | None = None) -> PushResult:
        """Store a signed actor module or a valid provider archive under ``lattice://repository:tag``."""
        target = parse_lattice_ref(ref)
        if target.tag is None or target.digest is not None:
            raise e.OciRefInvalid(ref, "push needs a tag (and no digest): lattice://NAME:TAG")
        check_latest(ref, target, self.settings.allow_latest)
        found = check_artifact(ref, data, kind)
        digest = sha256_digest(data)
        record = {"digest": digest, "size": len(data), "mediaType": LAYER_FOR_PUSH[found], "kind": found.value}
        async with deadline(ref, self.settings.timeouts.total_s):
            try:
                store = await self._store(ref, create=True)
                uploaded = await self._put_blob(store, digest, data)
                self.requests += 1
                await store.put(
                    subjects.registry_tag_object(target.repository, target.tag), json.dumps(record).encode()
                )
            except NatsTimeoutError as exc:
                raise e.OciTimeout(ref, "the lattice registry did not answer in time") from exc
            except _NATS_DOWN as exc:
                raise e.OciUnreachable(ref, f"the lattice registry is not reachable: {exc}") from exc
        if self.cache is not None:
            self.cache.put(digest, data)
        return PushResult(ref, found, digest, len(data), LAYER_FOR_PUSH[found], None, uploaded)

    async def _put_blob(self, store: Any, digest: str, data: bytes) -> bool:
        name = subjects.registry_blob_object(digest)
        self.requests += 1
        try:
            info = await store.get_info(name)
            if info.size == len(data):
                return False
        except ObjectNotFoundError:
            pass
        self.requests += 1
        await store.put(name, data)
        return True
