"""Pull and push artifacts of OCI registries, through the digest-keyed disk cache.

A tag pull makes one manifest request; when the layer is cached, nothing else. A pull pinned by ``@sha256:`` whose
manifest and layer are cached makes no request at all (it works with the registry down). Nothing is cached before
the layer was chosen, its bytes matched its digest and ``validate`` (e.g. the claims check) accepted them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from lattice.claims import ClaimsError, validate_module
from lattice.oci import errors as e
from lattice.oci.artifact import Artifact, PushResult, Source, Validate, run_validate
from lattice.oci.cache import BlobCache
from lattice.oci.client import Progress, RegistryClient
from lattice.oci.media import (
    CONFIG_FOR_PUSH,
    GZIP_MAGIC,
    LAYER_FOR_PUSH,
    OCI_MANIFEST,
    PUSH_CONFIG_BODY,
    WASM_MAGIC,
    ArtifactKind,
    Descriptor,
    Manifest,
    build_manifest,
    kind_of,
    parse_manifest,
    pick_from_index,
    pick_layer,
    sha256_digest,
)
from lattice.oci.refs import ImageRef, check_latest, parse_image_ref
from lattice.oci.settings import OciSettings
from lattice.provider.errors import ProviderArchiveError
from lattice.provider.par import read_par


def cache_of(settings: OciSettings) -> BlobCache | None:
    return BlobCache(settings.cache_dir) if settings.cache_dir is not None else None


@contextlib.asynccontextmanager
async def deadline(ref: str, seconds: float) -> AsyncIterator[None]:
    """The whole operation within ``seconds``; :class:`OciTimeout` otherwise."""
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError as exc:
        if isinstance(exc, e.OciError):
            raise
        raise e.OciTimeout(ref, f"not done within {seconds:g} s") from exc


class OciPuller:
    """Pulls through one :class:`RegistryClient`; counts nothing itself (``client.requests`` does)."""

    def __init__(self, client: RegistryClient) -> None:
        self.client = client
        self.settings = client.settings
        self.cache = cache_of(client.settings)

    async def pull(
        self,
        ref: str,
        kind: ArtifactKind | None = None,
        *,
        validate: Validate | None = None,
        progress: Progress | None = None,
    ) -> Artifact:
        image = parse_image_ref(ref)
        check_latest(ref, image, self.settings.allow_latest)
        async with deadline(ref, self.settings.timeouts.total_s):
            return await self._pull(ref, image, kind, validate, progress)

    async def _pull(
        self, ref: str, image: ImageRef, kind: ArtifactKind | None, validate: Validate | None, progress: Progress | None
    ) -> Artifact:
        manifests: dict[str, bytes] = {}
        manifest_digest, manifest = await self._manifest(ref, image, image.reference, manifests)
        if manifest.is_index:
            entry = pick_from_index(ref, manifest)
            manifest_digest, manifest = await self._manifest(ref, image, entry.digest, manifests)
            if manifest.is_index:
                raise e.OciManifestInvalid(ref, "an index inside an index is not supported")
        layer = pick_layer(ref, manifest, kind)
        data = self._cached(layer)
        cached = data is not None
        if data is None:
            data = await self.client.fetch_blob(ref, image, layer, progress)
        found = kind_of(layer.media_type, data)
        if kind is not None and found is not kind:
            raise e.OciWrongMediaType(ref, f"layer {layer.media_type} holds {found.noun}, not {kind.noun}")
        await run_validate(validate, data)
        self._store(manifests, layer.digest, data)
        return Artifact(ref, found, data, layer.digest, layer.media_type, Source.OCI, cached, manifest_digest)

    def _cached(self, blob: Descriptor) -> bytes | None:
        if self.cache is None or blob.size > self.settings.limits.max_blob_bytes:
            return None
        data = self.cache.get(blob.digest, self.settings.limits.max_blob_bytes)
        return data if data is not None and len(data) == blob.size else None

    async def _manifest(
        self, ref: str, image: ImageRef, reference: str, seen: dict[str, bytes]
    ) -> tuple[str, Manifest]:
        if reference.startswith("sha256:") and self.cache is not None:
            body = self.cache.get(reference, self.settings.limits.max_manifest_bytes)
            if body is not None:
                return reference, parse_manifest(ref, body, None)
        fetched = await self.client.fetch_manifest(ref, image, reference)
        seen[fetched.digest] = fetched.body
        return fetched.digest, parse_manifest(ref, fetched.body, fetched.media_type)

    def _store(self, manifests: dict[str, bytes], layer_digest: str, data: bytes) -> None:
        if self.cache is None:
            return
        for digest, body in manifests.items():
            self.cache.put(digest, body)
        self.cache.put(layer_digest, data)

    async def push(
        self, ref: str, data: bytes, kind: ArtifactKind | None = None, *, progress: Progress | None = None
    ) -> PushResult:
        """Push an actor module or provider archive with wash's layout (config ``{}``, one layer)."""
        image = parse_image_ref(ref)
        if image.digest is not None or image.tag is None:
            raise e.OciRefInvalid(ref, "push needs a tag (and no digest): REGISTRY/REPOSITORY:TAG")
        check_latest(ref, image, self.settings.allow_latest)
        found = check_artifact(ref, data, kind)
        async with deadline(ref, self.settings.timeouts.total_s):
            config_digest = await self.client.push_blob(ref, image, PUSH_CONFIG_BODY)
            layer_digest = await self.client.push_blob(ref, image, data, progress)
            layer = Descriptor(LAYER_FOR_PUSH[found], layer_digest, len(data))
            config = Descriptor(CONFIG_FOR_PUSH[found], config_digest, len(PUSH_CONFIG_BODY))
            body = build_manifest(found, layer, config)
            manifest_digest = await self.client.push_manifest(ref, image, body, OCI_MANIFEST)
        if self.cache is not None:
            self.cache.put(layer_digest, data)
            self.cache.put(manifest_digest, body)
        return PushResult(ref, found, layer_digest, len(data), layer.media_type, manifest_digest)


def check_artifact(ref: str, data: bytes, kind: ArtifactKind | None = None) -> ArtifactKind:
    """What ``data`` is: a signed actor module (claims verified) or a valid provider archive; refuse anything else."""
    if data[:4] == WASM_MAGIC:
        try:
            validate_module(data)
        except ClaimsError as exc:
            raise e.OciArtifactInvalid(ref, f"the module's claims do not verify: {exc}") from exc
        found = ArtifactKind.ACTOR
    elif data[:2] == GZIP_MAGIC or len(data) > 512:
        try:
            read_par(data)
        except ProviderArchiveError as exc:
            raise e.OciArtifactInvalid(ref, f"not a wasm module, and not a valid provider archive: {exc}") from exc
        found = ArtifactKind.PROVIDER
    else:
        raise e.OciArtifactInvalid(ref, "neither a wasm module nor a provider archive")
    if kind is not None and found is not kind:
        raise e.OciArtifactInvalid(ref, f"is {found.noun}, not {kind.noun}")
    return found


__all__ = ["OciPuller", "check_artifact", "deadline", "sha256_digest"]
