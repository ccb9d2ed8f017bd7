"""Manifest parsing and the choice of the artifact layer, from the JSON registries serve."""

from __future__ import annotations

import json

import pytest

from lattice.oci import OciManifestInvalid, OciNoArtifact, OciRefInvalid, OciWrongMediaType
from lattice.oci.media import (
    CNCF_WASM_LAYER,
    DOCKER_MANIFEST_LIST,
    OCI_INDEX,
    OCI_MANIFEST,
    OCI_TAR_LAYER,
    PAR_LAYER,
    WASM_LAYER,
    ArtifactKind,
    kind_of,
    parse_manifest,
    pick_from_index,
    pick_layer,
)

D1, D2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64


def manifest(*layers: str, media_type: str | None = OCI_MANIFEST) -> bytes:
    doc: dict[str, object] = {
        "schemaVersion": 2,
        "config": {"mediaType": "application/vnd.wasmcloud.actor.archive.config", "digest": D1, "size": 2},
        "layers": [{"mediaType": m, "digest": D2, "size": 10} for m in layers],
    }
    if media_type:
        doc["mediaType"] = media_type
    return json.dumps(doc).encode()


@pytest.mark.parametrize("layer", [WASM_LAYER, CNCF_WASM_LAYER, OCI_TAR_LAYER])
def test_actor_layers(layer: str) -> None:
    parsed = parse_manifest("r", manifest("application/vnd.oci.image.config.v1+json", layer), None)
    assert pick_layer("r", parsed, ArtifactKind.ACTOR).media_type == layer


def test_media_type_from_header_or_omitted() -> None:
    assert not parse_manifest("r", manifest(WASM_LAYER, media_type=None), OCI_MANIFEST).is_index
    assert parse_manifest("r", manifest(WASM_LAYER, media_type=None), None).media_type == OCI_MANIFEST


def test_wrong_kind_and_wrong_media_types() -> None:
    par = parse_manifest("r", manifest(PAR_LAYER), None)
    with pytest.raises(OciWrongMediaType, match="is a provider artifact where an actor was expected"):
        pick_layer("r", par, ArtifactKind.ACTOR)
    image = parse_manifest("r", manifest("application/vnd.oci.image.layer.v1.tar+gzip"), None)
    with pytest.raises(OciWrongMediaType, match=r"tar\+gzip"):
        pick_layer("r", image, None)
    with pytest.raises(OciNoArtifact):
        pick_layer("r", parse_manifest("r", manifest(), None), None)
    with pytest.raises(OciWrongMediaType, match="prettyjws"):
        parse_manifest(
            "r", manifest(WASM_LAYER, media_type="application/vnd.docker.distribution.manifest.v1+prettyjws"), None
        )


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST}).encode(),
     json.dumps({"mediaType": OCI_MANIFEST, "layers": [{"mediaType": WASM_LAYER, "digest": D2}]}).encode(),
     json.dumps({"mediaType": OCI_MANIFEST, "layers": [{"mediaType": WASM_LAYER, "digest": "md5:x", "size": 1}]})
     .encode()],
)  # fmt: skip
def test_malformed_manifests(body: bytes) -> None:
    with pytest.raises((OciManifestInvalid, OciRefInvalid)):
        parse_manifest("r", body, None)


@pytest.mark.parametrize("index_type", [OCI_INDEX, DOCKER_MANIFEST_LIST])
def test_index_prefers_the_wasm_platform(index_type: str) -> None:
    doc = {
        "schemaVersion": 2,
        "mediaType": index_type,
        "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": D1, "size": 5, "platform": {"architecture": "amd64", "os": "linux"}},
            {"mediaType": OCI_MANIFEST, "digest": D2, "size": 5, "platform": {"architecture": "wasm", "os": "wasip1"}},
        ],
    }
    index = parse_manifest("r", json.dumps(doc).encode(), None)
    assert pick_from_index("r", index).digest == D2
    doc["manifests"] = doc["manifests"][:1]  # type: ignore[index]
    assert pick_from_index("r", parse_manifest("r", json.dumps(doc).encode(), None)).digest == D1


def test_kind_of_a_generic_tar_layer_by_its_bytes() -> None:
    assert kind_of(OCI_TAR_LAYER, b"\x00asm\x01") is ArtifactKind.ACTOR
    assert kind_of(OCI_TAR_LAYER, b"\x1f\x8b") is ArtifactKind.PROVIDER
