"""Fixtures for the OCI tests: the CNCF distribution registry in four modes, each on a random loopback port.

Fixtures: ``registry`` (plain HTTP), ``auth_registry`` (htpasswd basic auth; ``REG_USER``/``REG_PASSWORD``),
``tls_registry`` (TLS with a test CA; ``.tls.ca`` is the CA file), ``token_registry`` (Bearer tokens from
``token_service``), ``signed_actor`` (the 28 KB echo example), ``signed_par`` (a provider archive), ``oci_settings``.
Tests skip, saying why, only where ``docker-registry`` is not installed (``make test`` installs it with apt-get).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from lattice import keys
from lattice.claims import ProviderMetadata
from lattice.oci import OciSettings
from lattice.provider.par import create_par, native_target
from tests.integration.oci.oci_support import REG_PASSWORD, REG_USER
from tests.integration.oci.registry_server import RegistryServer, find_binary, make_tls, write_htpasswd
from tests.integration.oci.token_service import TokenService

ROOT = Path(__file__).resolve().parents[3]
ECHO_WASM = ROOT / "actors-examples" / "echo" / "echo.wasm"


@pytest.fixture(scope="session")
def registry_binary() -> str:
    found = find_binary()
    if found is None:
        pytest.skip("docker-registry is not installed (`make test` installs it with apt-get where it runs as root)")
    return found


def _serve(server: RegistryServer) -> Iterator[RegistryServer]:
    with server:
        yield server


@pytest.fixture(scope="session")
def registry(registry_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    yield from _serve(RegistryServer(tmp_path_factory.mktemp("registry"), binary=registry_binary))


@pytest.fixture(scope="session")
def auth_registry(registry_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    folder = tmp_path_factory.mktemp("auth-registry")
    htpasswd = write_htpasswd(folder / "htpasswd", REG_USER, REG_PASSWORD)
    yield from _serve(RegistryServer(folder, htpasswd=htpasswd, binary=registry_binary))


@pytest.fixture(scope="session")
def tls_registry(registry_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    folder = tmp_path_factory.mktemp("tls-registry")
    yield from _serve(RegistryServer(folder, tls=make_tls(folder / "tls"), binary=registry_binary))


@pytest.fixture(scope="session")
def token_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenService]:
    with TokenService(tmp_path_factory.mktemp("token-service"), {REG_USER: REG_PASSWORD}) as service:
        yield service


@pytest.fixture(scope="session")
def token_registry(
    registry_binary: str, token_service: TokenService, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RegistryServer]:
    folder = tmp_path_factory.mktemp("token-registry")
    yield from _serve(RegistryServer(folder, token=token_service.auth, binary=registry_binary))


@pytest.fixture
def repo() -> str:
    """A repository name no other test uses."""
    return f"acme/t{secrets.token_hex(5)}"


@pytest.fixture
def oci_settings(registry: RegistryServer, tmp_path: Path) -> OciSettings:
    return OciSettings(allowed_insecure=frozenset({registry.address}), cache_dir=tmp_path / "cache")


@pytest.fixture(scope="session")
def signed_actor() -> bytes:
    return ECHO_WASM.read_bytes()


@pytest.fixture(scope="session")
def signed_par() -> bytes:
    issuer = keys.KeyPair.create(keys.KeyType.ACCOUNT)
    provider = keys.KeyPair.create(keys.KeyType.SERVICE)
    meta = ProviderMetadata(name="Test provider", capid="example:test", vendor="tests", rev=1, ver="0.1.0")
    return create_par({native_target(): b"#!/bin/sh\nexit 0\n"}, issuer, provider.public_key, meta)
