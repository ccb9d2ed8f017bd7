"""Where a host gets actor modules and provider archives: what kind of reference a start names, and the one
:class:`lattice.oci.ArtifactFetcher` of the host (opened at start, closed at stop) that pulls registry refs.

Reference kinds (docs/protocol.md §11.5):

* ``file://…`` or a path (``/…``, ``./…``, ``../…``, ``~…``, ``*.wasm``; for providers also ``*.par``, ``*.par.gz``)
  — a local file, only with ``WASMCLOUD_ALLOW_FILE_LOAD``;
* ``python:<module>`` — providers only: a Python provider installed beside the host;
* ``lattice://repository:tag[@sha256:…]`` — the lattice's own registry (docs/adr/0010-lattice-registry.md);
* anything else that parses as ``[registry/]repository[:tag][@sha256:…]`` (``oci://`` allowed) — an OCI registry.

A registry is a transport, never a trust root: whatever is pulled is checked (claims, archive hashes) before it is
cached or run, exactly as files are. Registry settings and credentials come from :meth:`HostConfig.oci_settings`;
``registries.put`` adds credentials at run time (:func:`put_credentials`), which are never logged or reported.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from typing import Any

from host.config import HostConfig
from host.errors import HostError
from lattice.oci import ArtifactFetcher, Credentials, OciError, OciRefInvalid, OciSettings
from lattice.oci.refs import (
    ARCHIVE_SUFFIXES,
    MODULE_SUFFIXES,
    check_latest,
    check_registry,
    is_lattice_ref,
    is_local_ref,
    parse_ref,
)

PYTHON_SCHEME = "python:"
OCI_REGISTRY_TYPE = "oci"

log = logging.getLogger(__name__)


class RefKind(enum.Enum):
    FILE = "file"
    PYTHON = "python"
    LATTICE = "lattice"
    OCI = "oci"

    @property
    def is_registry(self) -> bool:
        return self in (RefKind.LATTICE, RefKind.OCI)


def ref_kind(ref: str, *, provider: bool = False) -> RefKind | None:
    """The kind of an actor (or, with ``provider``, a provider) reference; None when no kind fits."""
    ref = ref.strip()
    if provider and ref.startswith(PYTHON_SCHEME):
        return RefKind.PYTHON
    if is_local_ref(ref, MODULE_SUFFIXES + ARCHIVE_SUFFIXES if provider else MODULE_SUFFIXES):
        return RefKind.FILE
    if is_lattice_ref(ref):
        return RefKind.LATTICE
    if "://" in ref and not ref.startswith("oci://"):
        return None
    return RefKind.OCI if ref else None


def check_registry_ref(ref: str, settings: OciSettings) -> None:
    """Refuse at once what no pull could fetch: a ref that does not parse, ``:latest`` when not allowed."""
    parsed = parse_ref(ref)
    check_latest(ref, parsed, settings.allow_latest)


def same_ref(a: str, b: str) -> bool:
    """Whether two refs name the same thing once normalised (``echo:1`` = ``docker.io/library/echo:1``,
    ``oci://r/x:1`` = ``r/x:1``); file refs are compared as given (callers pass canonical ``file://`` URLs)."""
    return normalise_ref(a) == normalise_ref(b)


def normalise_ref(ref: str) -> str:
    text = ref.strip()
    if ref_kind(text) in (RefKind.LATTICE, RefKind.OCI):
        try:
            return str(parse_ref(text))
        except OciRefInvalid:
            return text
    return text


def open_fetcher(config: HostConfig, nc: Any) -> ArtifactFetcher:
    """The host's fetcher (enter it): OCI registries over HTTPS, the lattice registry over ``nc``."""
    return ArtifactFetcher(config.oci_settings(), nc=nc, lattice=config.lattice, js_domain=config.js_domain)


class CredentialsRejected(HostError, ValueError):
    """A ``registries.put`` entry names no valid registry; nothing was stored."""


def put_credentials(fetcher: ArtifactFetcher, credentials: Mapping[str, Any]) -> int:
    """Store ``registries.put`` credentials (server → object with ``registry_type``, ``username``, ``password``,
    ``token``) for OCI registries; returns how many were stored. All entries are checked first: one bad server name
    stores none. Bindle entries are skipped (bindle is not supported)."""
    stored: dict[str, Credentials] = {}
    for server, cred in credentials.items():
        if getattr(cred, "registry_type", OCI_REGISTRY_TYPE) != OCI_REGISTRY_TYPE:
            continue
        try:
            check_registry(server, server)
        except OciError as exc:
            raise CredentialsRejected(f"registries.put: {exc.detail}") from None
        stored[server] = Credentials(
            getattr(cred, "username", None), getattr(cred, "password", None), getattr(cred, "token", None)
        )
    for server, creds in stored.items():
        fetcher.set_credentials(server, creds)
    log.info("registry credentials stored for %d registries: %s", len(stored), ", ".join(sorted(stored)) or "-")
    return len(stored)
