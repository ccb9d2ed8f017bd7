"""Push and pull against the real CNCF distribution registry: layouts, media types, the cache, request counts."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lattice.oci import ArtifactFetcher, ArtifactKind, OciSettings, Source
from lattice.oci.media import (
    CNCF_WASM_CONFIG,
    CNCF_WASM_LAYER,
    DOCKER_MANIFEST,
    OCI_INDEX,
    OCI_TAR_LAYER,
    PAR_LAYER,
    WASM_LAYER,
)
from lattice.provider.par import read_par
from tests.integration.oci.oci_support import push_layers, put_manifest
from tests.integration.oci.registry_server import RegistryServer


async def test_actor_round_trip_then_cached_pull_makes_one_request(
    registry: RegistryServer, repo: str, oci_settings: OciSettings, signed_actor: bytes, tmp_path: Path
) -> None:
    ref = f"{registry.address}/{repo}:0.1.0"
    async with ArtifactFetcher(oci_settings) as pusher:
        pushed = await pusher.push(ref, signed_actor)
    assert (pushed.kind, pushed.media_type, pushed.size) == (ArtifactKind.ACTOR, WASM_LAYER, len(signed_actor))
    fresh = dataclasses.replace(oci_settings, cache_dir=tmp_path / "other-cache")
    async with ArtifactFetcher(fresh) as fetcher:
        cold = await fetcher.pull(ref, ArtifactKind.ACTOR)
        assert (cold.data, cold.cached, cold.source, fetcher.http_requests) == (signed_actor, False, Source.OCI, 2)
        warm = await fetcher.pull(ref, ArtifactKind.ACTOR)
        assert (warm.data, warm.cached, fetcher.http_requests) == (signed_actor, True, 3)  # the manifest only
        pinned = await fetcher.pull(f"{registry.address}/{repo}@{cold.manifest_digest}", ArtifactKind.ACTOR)
        assert (pinned.data, pinned.cached, fetcher.http_requests) == (signed_actor, True, 3)  # no request at all


async def test_provider_archive_round_trip(
    registry: RegistryServer, repo: str, oci_settings: OciSettings, signed_par: bytes
) -> None:
    ref = f"{registry.address}/{repo}:1.0.0"
    async with ArtifactFetcher(oci_settings) as fetcher:
        pushed = await fetcher.push(ref, signed_par)
        assert (pushed.kind, pushed.media_type) == (ArtifactKind.PROVIDER, PAR_LAYER)
        pulled = await fetcher.pull(ref, ArtifactKind.PROVIDER)
    assert pulled.data == signed_par
    assert read_par(pulled.data).claims.metadata.capid == "example:test"


async def test_second_push_of_the_same_bytes_uploads_no_blob(
    registry: RegistryServer, repo: str, oci_settings: OciSettings, signed_actor: bytes
) -> None:
    async with ArtifactFetcher(oci_settings) as fetcher:
        await fetcher.push(f"{registry.address}/{repo}:1", signed_actor)
        before = fetcher.http_requests
        await fetcher.push(f"{registry.address}/{repo}:2", signed_actor)
        assert fetcher.http_requests - before == 3  # HEAD config, HEAD layer, PUT manifest


@pytest.mark.parametrize(
    ("layer_type", "config_type"),
    [(CNCF_WASM_LAYER, CNCF_WASM_CONFIG), (OCI_TAR_LAYER, "application/vnd.oci.image.config.v1+json")],
)
async def test_actor_layouts_of_other_tools_are_pulled(
    registry: RegistryServer,
    repo: str,
    oci_settings: OciSettings,
    signed_actor: bytes,
    layer_type: str,
    config_type: str,
) -> None:
    await push_layers(registry, repo, "1.0", [(layer_type, signed_actor)], config=(config_type, b'{"layerDigests":[]}'))
    async with ArtifactFetcher(oci_settings) as fetcher:
        pulled = await fetcher.pull(f"{registry.address}/{repo}:1.0", ArtifactKind.ACTOR)
    assert (pulled.data, pulled.media_type, pulled.kind) == (signed_actor, layer_type, ArtifactKind.ACTOR)


async def test_docker_schema2_manifest_is_pulled(
    registry: RegistryServer, repo: str, oci_settings: OciSettings, signed_actor: bytes
) -> None:
    await push_layers(
        registry,
        repo,
        "2.0",
        [(WASM_LAYER, signed_actor)],
        config=("application/vnd.docker.container.image.v1+json", b"{}"),
        media_type=DOCKER_MANIFEST,
    )
    async with ArtifactFetcher(oci_settings) as fetcher:
        pulled = await fetcher.pull(f"{registry.address}/{repo}:2.0")
    assert (pulled.data, pulled.kind) == (signed_actor, ArtifactKind.ACTOR)


async def test_image_index_leads_to_the_wasm_manifest(
    registry: RegistryServer, repo: str, oci_settings: OciSettings, signed_actor: bytes
) -> None:
    other = await push_layers(registry, repo, "linux", [(OCI_TAR_LAYER, b"not this one" * 100)])
    wasm = await push_layers(registry, repo, "wasm", [(CNCF_WASM_LAYER, signed_actor)])
    sizes = {d: len(await _manifest_bytes(registry, repo, d)) for d in (other, wasm)}
    index = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": other,
                "size": sizes[other],
                "platform": {"architecture": "amd64", "os": "linux"},
            },
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": wasm,
                "size": sizes[wasm],
                "platform": {"architecture": "wasm", "os": "wasip1"},
            },
        ],
    }
    await put_manifest(registry, repo, "multi", index, OCI_INDEX)
    async with ArtifactFetcher(oci_settings) as fetcher:
        pulled = await fetcher.pull(f"{registry.address}/{repo}:multi", ArtifactKind.ACTOR)
    assert (pulled.data, pulled.manifest_digest) == (signed_actor, wasm)


async def _manifest_bytes(registry: RegistryServer, repo: str, digest: str) -> bytes:
    import aiohttp

    headers = {"Accept": "application/vnd.oci.image.manifest.v1+json"}
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://{registry.address}/v2/{repo}/manifests/{digest}", headers=headers) as resp,
    ):
        return await resp.read()


async def test_pinned_pull_works_with_the_registry_stopped(
    registry_binary: str, repo: str, signed_actor: bytes, tmp_path: Path
) -> None:
    server = RegistryServer(tmp_path / "short-lived", binary=registry_binary)
    with server:
        settings = OciSettings(allowed_insecure=frozenset({server.address}), cache_dir=tmp_path / "cache")
        async with ArtifactFetcher(settings) as fetcher:
            pushed = await fetcher.push(f"{server.address}/{repo}:0.3.0", signed_actor)
    async with ArtifactFetcher(settings) as fetcher:
        pulled = await fetcher.pull(f"{server.address}/{repo}@{pushed.manifest_digest}", ArtifactKind.ACTOR)
        assert (pulled.data, pulled.cached, fetcher.http_requests) == (signed_actor, True, 0)


async def test_basic_auth_with_the_right_credentials(
    auth_registry: RegistryServer, repo: str, signed_actor: bytes, tmp_path: Path
) -> None:
    from lattice.oci import Credentials
    from tests.integration.oci.oci_support import REG_PASSWORD, REG_USER

    settings = OciSettings(
        allowed_insecure=frozenset({auth_registry.address}),
        credentials={auth_registry.address: Credentials(REG_USER, REG_PASSWORD)},
        cache_dir=tmp_path / "cache",
    )
    ref = f"{auth_registry.address}/{repo}:1.0.0"
    async with ArtifactFetcher(settings) as fetcher:
        await fetcher.push(ref, signed_actor)
    async with ArtifactFetcher(dataclasses.replace(settings, cache_dir=None)) as fetcher:
        assert (await fetcher.pull(ref)).data == signed_actor


async def test_bearer_token_auth(
    token_registry: RegistryServer, repo: str, signed_actor: bytes, tmp_path: Path
) -> None:
    from lattice.oci import Credentials
    from tests.integration.oci.oci_support import REG_PASSWORD, REG_USER

    settings = OciSettings(
        allowed_insecure=frozenset({token_registry.address}),
        credentials={token_registry.address: Credentials(REG_USER, REG_PASSWORD)},
    )
    ref = f"{token_registry.address}/{repo}:1.0.0"
    async with ArtifactFetcher(settings) as fetcher:
        await fetcher.push(ref, signed_actor)
    async with ArtifactFetcher(settings) as fetcher:
        assert (await fetcher.pull(ref)).data == signed_actor


async def test_tls_registry_with_the_test_ca(tls_registry: RegistryServer, repo: str, signed_actor: bytes) -> None:
    assert tls_registry.tls is not None
    settings = OciSettings(ca_file=tls_registry.tls.ca)
    ref = f"{tls_registry.address}/{repo}:1.0.0"
    async with ArtifactFetcher(settings) as fetcher:
        await fetcher.push(ref, signed_actor)
        assert (await fetcher.pull(ref)).data == signed_actor
