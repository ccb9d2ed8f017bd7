"""Helpers for the OCI tests: hand-made manifests pushed with plain HTTP, and tampering with registry storage."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import aiohttp

from lattice.oci.media import OCI_MANIFEST, sha256_digest
from tests.integration.oci.registry_server import RegistryServer

REG_USER = "deployer"
REG_PASSWORD = "s3cret-" + secrets.token_hex(4)


async def upload_blob(registry: RegistryServer, repo: str, data: bytes) -> str:
    """Upload raw bytes (POST then PUT) to a plain-HTTP registry; returns the digest."""
    digest = sha256_digest(data)
    base = f"http://{registry.address}/v2/{repo}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/blobs/uploads/") as resp:
            assert resp.status == 202, await resp.text()
            location = resp.headers["Location"]
        url = location if location.startswith("http") else f"http://{registry.address}{location}"
        sep = "&" if "?" in url else "?"
        async with http.put(f"{url}{sep}digest={digest}", data=data) as resp:
            assert resp.status == 201, await resp.text()
    return digest


async def put_manifest(
    registry: RegistryServer, repo: str, tag: str, doc: dict[str, object], media_type: str = OCI_MANIFEST
) -> str:
    body = json.dumps(doc).encode()
    async with (
        aiohttp.ClientSession() as http,
        http.put(
            f"http://{registry.address}/v2/{repo}/manifests/{tag}", data=body, headers={"Content-Type": media_type}
        ) as resp,
    ):
        assert resp.status == 201, await resp.text()
    return sha256_digest(body)


async def push_layers(
    registry: RegistryServer,
    repo: str,
    tag: str,
    layers: list[tuple[str, bytes]],
    *,
    config: tuple[str, bytes] = ("application/vnd.oci.image.config.v1+json", b"{}"),
    media_type: str = OCI_MANIFEST,
) -> str:
    """A manifest of ``layers`` (media type, bytes) under ``repo:tag``; returns the manifest digest."""
    config_digest = await upload_blob(registry, repo, config[1])
    entries = []
    for layer_type, data in layers:
        entries.append({"mediaType": layer_type, "digest": await upload_blob(registry, repo, data), "size": len(data)})
    doc: dict[str, object] = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": {"mediaType": config[0], "digest": config_digest, "size": len(config[1])},
        "layers": entries,
    }
    return await put_manifest(registry, repo, tag, doc, media_type)


def blob_file(registry: RegistryServer, digest: str) -> Path:
    """Where the registry's filesystem driver keeps a blob's bytes."""
    hexdigest = digest.removeprefix("sha256:")
    return (
        registry.folder
        / "data"
        / "docker"
        / "registry"
        / "v2"
        / "blobs"
        / "sha256"
        / hexdigest[:2]
        / hexdigest
        / "data"
    )
