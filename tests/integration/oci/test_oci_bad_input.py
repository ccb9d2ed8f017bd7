"""Every bad input a pull can meet, against the real registry: a typed error naming the ref, and nothing cached."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lattice.oci import (
    ArtifactFetcher,
    ArtifactKind,
    Credentials,
    OciArtifactInvalid,
    OciAuthError,
    OciDigestMismatch,
    OciError,
    OciInsecureRefused,
    OciLatestRefused,
    OciLimits,
    OciNoArtifact,
    OciNotFound,
    OciSettings,
    OciTimeout,
    OciTimeouts,
    OciTooLarge,
    OciUnreachable,
    OciWrongMediaType,
)
from lattice.oci.media import WASM_LAYER
from tests.integration.oci.oci_support import REG_USER, blob_file, push_layers, put_manifest
from tests.integration.oci.registry_server import RegistryServer
from tests.support.ports import free_port


def cached_files(settings: OciSettings) -> list[Path]:
    assert settings.cache_dir is not None
    return [p for p in settings.cache_dir.rglob("*") if p.is_file()]


async def refused(settings: OciSettings, ref: str, error: type[OciError], kind: ArtifactKind | None = None) -> str:
    """Pull ``ref``, expect ``error`` naming the ref, and check that nothing was cached."""
    async with ArtifactFetcher(settings) as fetcher:
        with pytest.raises(error) as caught:
            await fetcher.pull(ref, kind)
    assert caught.value.ref == ref
    assert str(caught.value).startswith(ref)
    if settings.cache_dir is not None:
        assert cached_files(settings) == []
    return str(caught.value)


async def test_unknown_tag_and_unknown_repository(
    registry: RegistryServer, repo: str, oci_settings: OciSettings, signed_actor: bytes
) -> None:
    async with ArtifactFetcher(dataclasses.replace(oci_settings, cache_dir=None)) as fetcher:
        await fetcher.push(f"{registry.address}/{repo}:1.0.0", signed_actor)
    assert "MANIFEST_UNKNOWN" in await refused(oci_settings, f"{registry.address}/{repo}:9.9.9", OciNotFound)
    assert "not found" in await refused(oci_settings, f"{registry.address}/nobody/nothing:1.0", OciNotFound)


async def test_unknown_registry(tmp_path: Path) -> None:
    address = f"127.0.0.1:{free_port()}"
    settings = OciSettings(allowed_insecure=frozenset({address}), cache_dir=tmp_path / "cache")
    assert "cannot connect" in await refused(settings, f"{address}/acme/echo:1.0.0", OciUnreachable)


async def test_latest_and_untagged_refused_unless_allowed(
    registry: RegistryServer, repo: str, oci_settings: OciSettings, signed_actor: bytes
) -> None:
    for ref in (f"{registry.address}/{repo}:latest", f"{registry.address}/{repo}"):
        assert "WASMCLOUD_OCI_ALLOW_LATEST" in await refused(oci_settings, ref, OciLatestRefused)
    allowed = dataclasses.replace(oci_settings, allow_latest=True)
    async with ArtifactFetcher(allowed) as fetcher:
        await fetcher.push(f"{registry.address}/{repo}:latest", signed_actor)
        assert (await fetcher.pull(f"{registry.address}/{repo}")).data == signed_actor


async def test_plain_http_registry_not_listed_as_insecure(registry: RegistryServer, tmp_path: Path) -> None:
    settings = OciSettings(cache_dir=tmp_path / "cache")
    message = await refused(settings, f"{registry.address}/acme/echo:1.0.0", OciInsecureRefused)
    assert "WASMCLOUD_OCI_ALLOWED_INSECURE" in message


async def test_tls_registry_without_its_ca_is_not_trusted(tls_registry: RegistryServer, tmp_path: Path) -> None:
    settings = OciSettings(cache_dir=tmp_path / "cache")
    assert "not trusted" in await refused(settings, f"{tls_registry.address}/acme/echo:1.0.0", OciUnreachable)


@pytest.mark.parametrize(
    ("creds", "expected"),
    [(None, "requires credentials"), (Credentials(REG_USER, "wrong"), "refused the credentials of 'deployer'")],
)
async def test_wrong_or_missing_credentials(
    auth_registry: RegistryServer, tmp_path: Path, creds: Credentials | None, expected: str
) -> None:
    settings = OciSettings(
        allowed_insecure=frozenset({auth_registry.address}),
        credentials={auth_registry.address: creds} if creds else {},
        cache_dir=tmp_path / "cache",
    )
    message = await refused(settings, f"{auth_registry.address}/acme/echo:1.0.0", OciAuthError)
    assert expected in message
    assert "wrong" not in message


async def test_wrong_password_at_the_token_service(token_registry: RegistryServer, tmp_path: Path) -> None:
    settings = OciSettings(
        allowed_insecure=frozenset({token_registry.address}),
        credentials={token_registry.address: Credentials(REG_USER, "not-it")},
        cache_dir=tmp_path / "cache",
    )
    await refused(settings, f"{token_registry.address}/acme/echo:1.0.0", OciAuthError)


async def test_blob_whose_bytes_do_not_match_its_digest(
    registry_binary: str, repo: str, signed_actor: bytes, tmp_path: Path
) -> None:
    # its own registry: blobs are shared by every repository of a registry, and this test spoils one
    with RegistryServer(tmp_path / "spoilt", binary=registry_binary) as server:
        settings = OciSettings(allowed_insecure=frozenset({server.address}), cache_dir=tmp_path / "cache")
        ref = f"{server.address}/{repo}:1.0.0"
        async with ArtifactFetcher(dataclasses.replace(settings, cache_dir=None)) as fetcher:
            pushed = await fetcher.push(ref, signed_actor)
        tampered = bytearray(signed_actor)
        tampered[-1] ^= 0xFF
        blob_file(server, pushed.digest).write_bytes(bytes(tampered))  # the registry serves what its disk holds
        assert "refused" in await refused(settings, ref, OciDigestMismatch)


async def test_manifest_with_no_layers(registry: RegistryServer, repo: str, oci_settings: OciSettings) -> None:
    await push_layers(registry, repo, "empty", [])
    await refused(oci_settings, f"{registry.address}/{repo}:empty", OciNoArtifact)


async def test_layer_of_a_container_image_is_the_wrong_media_type(
    registry: RegistryServer, repo: str, oci_settings: OciSettings
) -> None:
    await push_layers(registry, repo, "image", [("application/vnd.oci.image.layer.v1.tar+gzip", b"\x1f\x8b" * 50)])
    message = await refused(oci_settings, f"{registry.address}/{repo}:image", OciWrongMediaType)
    assert "application/vnd.oci.image.layer.v1.tar+gzip" in message


async def test_provider_archive_where_an_actor_is_expected(
    registry: RegistryServer, repo: str, oci_settings: OciSettings, signed_par: bytes
) -> None:
    async with ArtifactFetcher(dataclasses.replace(oci_settings, cache_dir=None)) as fetcher:
        await fetcher.push(f"{registry.address}/{repo}:1.0.0", signed_par)
    message = await refused(oci_settings, f"{registry.address}/{repo}:1.0.0", OciWrongMediaType, ArtifactKind.ACTOR)
    assert "provider" in message


async def test_unsupported_manifest_media_type(
    registry: RegistryServer, repo: str, oci_settings: OciSettings, signed_actor: bytes
) -> None:
    # an OCI index whose only entry is itself an index: nothing runnable at the first level
    inner = await push_layers(registry, repo, "inner", [(WASM_LAYER, signed_actor)])
    size = len(await _get(registry, repo, inner))
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": inner, "size": size}],
    }
    await put_manifest(registry, repo, "nested", index, "application/vnd.oci.image.index.v1+json")
    await refused(oci_settings, f"{registry.address}/{repo}:nested", OciWrongMediaType)


async def _get(registry: RegistryServer, repo: str, digest: str) -> bytes:
    import aiohttp

    headers = {"Accept": "application/vnd.oci.image.manifest.v1+json"}
    url = f"http://{registry.address}/v2/{repo}/manifests/{digest}"
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as resp:
        return await resp.read()


async def test_oversized_manifest_and_blob(
    registry: RegistryServer, repo: str, oci_settings: OciSettings, signed_actor: bytes
) -> None:
    ref = f"{registry.address}/{repo}:1.0.0"
    async with ArtifactFetcher(dataclasses.replace(oci_settings, cache_dir=None)) as fetcher:
        await fetcher.push(ref, signed_actor)
    small_manifest = dataclasses.replace(oci_settings, limits=OciLimits(max_manifest_bytes=64))
    assert "over the limit of 64" in await refused(small_manifest, ref, OciTooLarge)
    small_blob = dataclasses.replace(oci_settings, limits=OciLimits(max_blob_bytes=1024))
    assert "over the limit of 1024" in await refused(small_blob, ref, OciTooLarge)


async def test_registry_that_hangs_times_out(hanging_server: str, tmp_path: Path) -> None:
    settings = OciSettings(
        allowed_insecure=frozenset({hanging_server}),
        cache_dir=tmp_path / "cache",
        timeouts=OciTimeouts(connect_s=2, read_s=0.3, total_s=5),
    )
    message = await refused(settings, f"{hanging_server}/acme/echo:1.0.0", OciTimeout)
    assert "did not answer" in message


async def test_push_refuses_what_is_not_a_signed_artifact(
    registry: RegistryServer, repo: str, oci_settings: OciSettings, signed_actor: bytes
) -> None:
    tampered = bytearray(signed_actor)
    tampered[len(tampered) // 2] ^= 0x01
    async with ArtifactFetcher(oci_settings) as fetcher:
        for data in (b"\x00asm\x01\x00\x00\x00", bytes(tampered), b"hello"):
            with pytest.raises(OciArtifactInvalid):
                await fetcher.push(f"{registry.address}/{repo}:1.0.0", data)
        assert fetcher.http_requests == 0
