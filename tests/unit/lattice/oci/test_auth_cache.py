"""Auth challenges, credentials that never print, settings from the environment, the digest-keyed cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from lattice.oci import Credentials, settings_from_env
from lattice.oci.auth import basic_header, parse_challenge
from lattice.oci.cache import BlobCache
from lattice.oci.media import sha256_digest


def test_bearer_and_basic_challenges() -> None:
    bearer = parse_challenge('Bearer realm="https://auth.io/token",service="reg.io",scope="repository:a/b:pull,push"')
    assert bearer is not None
    assert (bearer.scheme, bearer.realm, bearer.params["scope"]) == (
        "bearer",
        "https://auth.io/token",
        "repository:a/b:pull,push",
    )
    basic = parse_challenge('Basic realm="registry"')
    assert basic is not None
    assert basic.scheme == "basic"
    assert parse_challenge("") is None
    assert basic_header(Credentials("u", "p")) == "Basic dTpw"


def test_credentials_never_show_their_secrets() -> None:
    creds = Credentials("alice", "hunter2", "tok3n")
    assert "hunter2" not in repr(creds)
    assert "tok3n" not in repr(creds)


def test_settings_from_env() -> None:
    env = {
        "WASMCLOUD_OCI_ALLOW_LATEST": "true",
        "WASMCLOUD_OCI_ALLOWED_INSECURE": "a:5000, b:5001",
        "WASMCLOUD_OCI_REGISTRY": "ghcr.io",
        "WASMCLOUD_OCI_REGISTRY_USER": "me",
        "WASMCLOUD_OCI_REGISTRY_PASSWORD": "pw",
    }
    settings = settings_from_env(env)
    assert settings.allow_latest
    assert settings.allowed_insecure == {"a:5000", "b:5001"}
    assert settings.credentials_for("ghcr.io") == Credentials("me", "pw")
    assert not settings_from_env({}).allow_latest


def test_cache_stores_only_matching_bytes_and_drops_altered_files(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path)
    digest = sha256_digest(b"module bytes")
    with pytest.raises(ValueError, match="do not match"):
        cache.put(digest, b"other bytes")
    assert cache.get(digest) is None
    path = cache.put(digest, b"module bytes")
    assert cache.get(digest) == b"module bytes"
    assert cache.get(digest, max_bytes=3) is None
    path.write_bytes(b"tampered")
    assert cache.get(digest) is None
    assert not path.exists()
    with pytest.raises(ValueError, match="sha256"):
        cache.path("sha256:../../etc")
