"""Helpers of the tests that start registry refs through a host: a host config that trusts the test registries, a
pusher, what a host keeps on disk, and raw pushes of artifacts no client would push (altered, unsigned)."""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from host.config import OCI_CACHE_DIR, HostConfig
from host.host import PROVIDERS_DIR
from lattice import keys
from lattice.claims import ProviderMetadata
from lattice.oci import ArtifactFetcher, OciSettings
from lattice.oci.media import PAR_LAYER, WASM_LAYER
from lattice.provider.par import create_par
from tests.integration.oci.oci_support import push_layers
from tests.integration.oci.registry_server import RegistryServer

TEST_DEADLINE_MS = 3000


def registry_host_config(
    nats_url: str, lattice: str, cluster: keys.KeyPair, state_dir: Path, registries: Iterable[str], **overrides: Any
) -> HostConfig:
    """A host on ``lattice`` that speaks plain HTTP to ``registries`` and may not load files."""
    return HostConfig(
        lattice=lattice,
        cluster_seed=cluster.seed,
        state_dir=state_dir,
        actor_deadline_ms=TEST_DEADLINE_MS,
        oci_allowed_insecure=tuple(registries),
        **overrides,
    ).with_nats_url(nats_url)


def pusher(nc: Any, lattice: str, *registries: str, **settings: Any) -> ArtifactFetcher:
    """A client that pushes to ``registries`` (plain HTTP) and to ``lattice``'s registry; no cache."""
    return ArtifactFetcher(OciSettings(allowed_insecure=frozenset(registries), **settings), nc=nc, lattice=lattice)


def kept_files(state_dir: Path) -> list[Path]:
    """What a host kept of pulled artifacts: cached blobs and unpacked provider binaries or environments."""
    found: list[Path] = []
    for folder in (state_dir / OCI_CACHE_DIR, state_dir / PROVIDERS_DIR):
        found += [p for p in folder.rglob("*") if p.is_file()] if folder.is_dir() else []
    return found


async def push_raw_actor(registry: RegistryServer, repo: str, tag: str, wasm: bytes) -> str:
    """A module under ``repo:tag`` with the actor layer type, bypassing the client's checks; its ref."""
    await push_layers(registry, repo, tag, [(WASM_LAYER, wasm)])
    return f"{registry.address}/{repo}:{tag}"


async def push_raw_par(registry: RegistryServer, repo: str, tag: str, par: bytes) -> str:
    await push_layers(registry, repo, tag, [(PAR_LAYER, par)])
    return f"{registry.address}/{repo}:{tag}"


def make_par(binaries: dict[str, bytes], capid: str = "example:test", rev: int = 1) -> tuple[bytes, str]:
    """A signed archive of ``binaries`` (target → bytes) and its provider key."""
    issuer = keys.KeyPair.create(keys.KeyType.ACCOUNT)
    provider = keys.KeyPair.create(keys.KeyType.SERVICE).public_key
    meta = ProviderMetadata(name="registry test provider", capid=capid, vendor="tests", rev=rev, ver="0.1.0")
    return create_par(binaries, issuer, provider, meta), provider


def alter_binaries(par: bytes) -> bytes:
    """The archive with one byte of every binary changed (its signed hashes no longer match)."""
    raw = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(gzip.decompress(par))) as src,
        tarfile.open(fileobj=raw, mode="w:") as dst,
    ):
        for member in src.getmembers():
            handle = src.extractfile(member)
            data = handle.read() if handle is not None else b""
            if member.name.endswith(".bin"):
                data = data[:-1] + bytes([data[-1] ^ 0x01])
            dst.addfile(member, io.BytesIO(data))
    return gzip.compress(raw.getvalue())
