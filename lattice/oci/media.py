"""Media types and manifests: what a pull accepts, how the artifact layer is chosen, and what a push writes.

Accepted manifests are the OCI image manifest and image index and their Docker v2 schema 2 equivalents (manifest
and manifest list), as registries serve them. The artifact is the first layer of a wanted media type:

* actors: ``application/vnd.module.wasm.content.layer.v1+wasm`` (wash), ``application/wasm`` (the CNCF Wasm OCI
  artifact layout, config ``application/vnd.wasm.config.v0+json``), ``application/vnd.oci.image.layer.v1.tar``;
* providers: ``application/vnd.wasmcloud.provider.archive.layer.v1+par``, ``application/vnd.oci.image.layer.v1.tar``.

A push writes wash's layout: an OCI image manifest with config ``{}`` of the wasmCloud config media type and one layer.
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from lattice.oci.errors import OciManifestInvalid, OciNoArtifact, OciWrongMediaType
from lattice.oci.refs import check_digest

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MANIFEST_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
INDEX_TYPES = (OCI_INDEX, DOCKER_MANIFEST_LIST)
ACCEPT = ", ".join((*MANIFEST_TYPES, *INDEX_TYPES))

WASM_LAYER = "application/vnd.module.wasm.content.layer.v1+wasm"
CNCF_WASM_LAYER = "application/wasm"
CNCF_WASM_CONFIG = "application/vnd.wasm.config.v0+json"
PAR_LAYER = "application/vnd.wasmcloud.provider.archive.layer.v1+par"
OCI_TAR_LAYER = "application/vnd.oci.image.layer.v1.tar"
ACTOR_CONFIG = "application/vnd.wasmcloud.actor.archive.config"
PAR_CONFIG = "application/vnd.wasmcloud.provider.archive.config"
WASM_ARCHITECTURE = "wasm"

WASM_MAGIC = b"\x00asm"
GZIP_MAGIC = b"\x1f\x8b"


class ArtifactKind(enum.Enum):
    ACTOR = "actor"
    PROVIDER = "provider"

    @property
    def noun(self) -> str:
        """``an actor`` / ``a provider`` for messages."""
        return "an actor" if self is ArtifactKind.ACTOR else "a provider"


ACTOR_LAYERS = (WASM_LAYER, CNCF_WASM_LAYER, OCI_TAR_LAYER)
PROVIDER_LAYERS = (PAR_LAYER, OCI_TAR_LAYER)
LAYERS_OF = {ArtifactKind.ACTOR: ACTOR_LAYERS, ArtifactKind.PROVIDER: PROVIDER_LAYERS}
LAYER_FOR_PUSH = {ArtifactKind.ACTOR: WASM_LAYER, ArtifactKind.PROVIDER: PAR_LAYER}
CONFIG_FOR_PUSH = {ArtifactKind.ACTOR: ACTOR_CONFIG, ArtifactKind.PROVIDER: PAR_CONFIG}


def sha256_digest(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    platform: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size}


@dataclass(frozen=True)
class Manifest:
    """A parsed image manifest (``layers``) or index (``manifests``)."""

    media_type: str
    config: Descriptor | None
    layers: tuple[Descriptor, ...]
    manifests: tuple[Descriptor, ...]

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES


def _descriptor(ref: str, raw: Any, where: str) -> Descriptor:
    if not isinstance(raw, dict):
        raise OciManifestInvalid(ref, f"{where} is not an object")
    media_type, digest, size = raw.get("mediaType"), raw.get("digest"), raw.get("size")
    if not isinstance(media_type, str) or not isinstance(digest, str):
        raise OciManifestInvalid(ref, f"{where} lacks mediaType or digest")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise OciManifestInvalid(ref, f"{where} has no valid size")
    platform = raw.get("platform")
    return Descriptor(media_type, check_digest(ref, digest), size, platform if isinstance(platform, dict) else None)


def parse_manifest(ref: str, body: bytes, content_type: str | None) -> Manifest:
    """Parse a manifest or index; the media type comes from the body, else from the Content-Type header."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise OciManifestInvalid(ref, f"the manifest is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise OciManifestInvalid(ref, "the manifest is not a JSON object")
    header = (content_type or "").split(";")[0].strip()
    media_type = doc.get("mediaType") or header
    if not isinstance(media_type, str) or media_type not in (*MANIFEST_TYPES, *INDEX_TYPES):
        if doc.get("schemaVersion") == 2 and "layers" in doc and not media_type:
            media_type = OCI_MANIFEST  # OCI manifests may omit mediaType
        else:
            raise OciWrongMediaType(ref, f"manifest media type {media_type or '(none)'!r} is not supported")
    if media_type in INDEX_TYPES:
        entries = doc.get("manifests")
        if not isinstance(entries, list):
            raise OciManifestInvalid(ref, "the index has no manifests list")
        found = tuple(_descriptor(ref, e, f"manifests[{i}]") for i, e in enumerate(entries))
        return Manifest(media_type, None, (), found)
    layers = doc.get("layers")
    if not isinstance(layers, list):
        raise OciManifestInvalid(ref, "the manifest has no layers list")
    config = _descriptor(ref, doc["config"], "config") if doc.get("config") is not None else None
    return Manifest(media_type, config, tuple(_descriptor(ref, e, f"layers[{i}]") for i, e in enumerate(layers)), ())


def pick_from_index(ref: str, index: Manifest) -> Descriptor:
    """The manifest of an index to follow: the one for the ``wasm`` architecture, else the only one."""
    usable = [m for m in index.manifests if m.media_type in MANIFEST_TYPES]
    for entry in usable:
        if (entry.platform or {}).get("architecture") == WASM_ARCHITECTURE:
            return entry
    if len(usable) == 1:
        return usable[0]
    platforms = ", ".join(
        "{}/{}".format((m.platform or {}).get("os", "?"), (m.platform or {}).get("architecture", "?")) for m in usable
    )
    raise OciWrongMediaType(ref, f"the index lists no wasm manifest (platforms: {platforms or 'none'})")


def pick_layer(ref: str, manifest: Manifest, kind: ArtifactKind | None) -> Descriptor:
    """The artifact layer of ``manifest`` for ``kind`` (any kind when None)."""
    if not manifest.layers:
        raise OciNoArtifact(ref, "the manifest has no layers: there is no wasm module or provider archive in it")
    wanted = LAYERS_OF[kind] if kind is not None else (*ACTOR_LAYERS, *PROVIDER_LAYERS)
    for layer in manifest.layers:
        if layer.media_type in wanted:
            return layer
    found = ", ".join(sorted({layer.media_type for layer in manifest.layers}))
    other = [k for k in ArtifactKind if k is not kind and any(m.media_type in LAYERS_OF[k] for m in manifest.layers)]
    if kind is not None and other:
        raise OciWrongMediaType(ref, f"is {other[0].noun} artifact where {kind.noun} was expected (layer {found})")
    what = {None: "wasm or provider archive", ArtifactKind.ACTOR: "wasm", ArtifactKind.PROVIDER: "provider archive"}
    raise OciWrongMediaType(ref, f"has no {what[kind]} layer (layer media types: {found})")


def kind_of(media_type: str, data: bytes) -> ArtifactKind:
    """The kind of a pulled layer; a generic tar layer is told apart by its first bytes."""
    if media_type in (WASM_LAYER, CNCF_WASM_LAYER):
        return ArtifactKind.ACTOR
    if media_type == PAR_LAYER:
        return ArtifactKind.PROVIDER
    return ArtifactKind.ACTOR if data[:4] == WASM_MAGIC else ArtifactKind.PROVIDER


def build_manifest(kind: ArtifactKind, layer: Descriptor, config: Descriptor) -> bytes:
    doc = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config.to_json(),
        "layers": [layer.to_json()],
    }
    return json.dumps(doc, separators=(",", ":")).encode()


PUSH_CONFIG_BODY = b"{}"
