"""What an artifact pull or push may do: policy, credentials, limits, timeouts, the cache directory.

The environment names are wasmCloud's (``WASMCLOUD_OCI_*``); :func:`settings_from_env` reads them for the CLI.
Credentials are kept per registry and never printed: their ``repr`` hides the password and token.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from lattice.oci.refs import ALLOW_LATEST_ENV as ALLOW_LATEST_ENV

ALLOWED_INSECURE_ENV = "WASMCLOUD_OCI_ALLOWED_INSECURE"
REGISTRY_ENV = "WASMCLOUD_OCI_REGISTRY"
USER_ENV = "WASMCLOUD_OCI_REGISTRY_USER"
PASSWORD_ENV = "WASMCLOUD_OCI_REGISTRY_PASSWORD"
CA_FILE_ENV = "WASMLATTICE_OCI_CA_FILE"
MAX_BYTES_ENV = "WASMLATTICE_OCI_MAX_BYTES"
TIMEOUT_ENV = "WASMLATTICE_OCI_TIMEOUT_S"
OCI_ENV = (ALLOW_LATEST_ENV, ALLOWED_INSECURE_ENV, REGISTRY_ENV, USER_ENV, PASSWORD_ENV, CA_FILE_ENV)

DEFAULT_MAX_MANIFEST_BYTES = 4 * 1024 * 1024
DEFAULT_MAX_BLOB_BYTES = 512 * 1024 * 1024
DEFAULT_CONNECT_TIMEOUT_S = 10.0
DEFAULT_READ_TIMEOUT_S = 30.0
DEFAULT_TOTAL_TIMEOUT_S = 600.0
_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Credentials:
    """A user name and password (basic auth, or exchanged for a Bearer token), or a ready token."""

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)

    @property
    def has_secret(self) -> bool:
        return bool(self.password or self.token)


@dataclass(frozen=True)
class OciLimits:
    max_manifest_bytes: int = DEFAULT_MAX_MANIFEST_BYTES
    max_blob_bytes: int = DEFAULT_MAX_BLOB_BYTES


@dataclass(frozen=True)
class OciTimeouts:
    """``connect_s`` to open a connection, ``read_s`` between two reads (a hanging registry), ``total_s`` per pull."""

    connect_s: float = DEFAULT_CONNECT_TIMEOUT_S
    read_s: float = DEFAULT_READ_TIMEOUT_S
    total_s: float = DEFAULT_TOTAL_TIMEOUT_S


@dataclass(frozen=True)
class OciSettings:
    """``allowed_insecure`` lists registries (``host[:port]``) spoken to over plain HTTP; all others use HTTPS."""

    allow_latest: bool = False
    allowed_insecure: frozenset[str] = frozenset()
    credentials: Mapping[str, Credentials] = field(default_factory=dict)
    cache_dir: Path | None = None
    ca_file: Path | None = None
    limits: OciLimits = OciLimits()
    timeouts: OciTimeouts = OciTimeouts()

    def credentials_for(self, registry: str) -> Credentials | None:
        return self.credentials.get(registry)

    def with_credentials(self, registry: str, creds: Credentials) -> OciSettings:
        return replace(self, credentials={**self.credentials, registry: creds})


def env_credentials(registry: str | None, user: str | None, password: str | None) -> dict[str, Credentials]:
    """``WASMCLOUD_OCI_REGISTRY`` with its user and password, as a credentials map (empty when incomplete)."""
    registry = (registry or "").strip()
    if registry and (user or password):
        return {registry: Credentials(user or None, password or None)}
    return {}


def split_list(text: str | None) -> frozenset[str]:
    return frozenset(item.strip() for item in (text or "").split(",") if item.strip())


def settings_from_env(env: Mapping[str, str], **overrides: object) -> OciSettings:
    """Settings from ``WASMCLOUD_OCI_*``; keyword overrides (e.g. from flags) win."""
    creds = env_credentials(env.get(REGISTRY_ENV), env.get(USER_ENV), env.get(PASSWORD_ENV))
    ca_file = env.get(CA_FILE_ENV, "").strip()
    base = OciSettings(
        allow_latest=env.get(ALLOW_LATEST_ENV, "").strip().lower() in _TRUE,
        allowed_insecure=split_list(env.get(ALLOWED_INSECURE_ENV)),
        credentials=creds,
        ca_file=Path(ca_file).expanduser() if ca_file else None,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]
