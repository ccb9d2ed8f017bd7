"""Errors of the artifact clients (``lattice.oci``): OCI registries and the lattice's own registry.

Every error names the reference it concerns (``error.ref``) and starts its message with it, so a failed start
or pull says which artifact failed and why. Nothing is cached when one is raised.

Tree::

    LatticeError
    └── OciError                        an artifact could not be pulled or pushed
        ├── OciRefInvalid               the reference does not parse, or names an unsupported digest algorithm
        ├── OciPolicyRefused            a setting forbids this pull
        │   ├── OciLatestRefused        ``:latest`` (or no tag) without WASMCLOUD_OCI_ALLOW_LATEST / --allow-latest
        │   └── OciInsecureRefused      the registry speaks plain HTTP but is not listed as insecure
        ├── OciUnreachable              no connection (refused, DNS, TLS certificate not trusted, NATS down)
        ├── OciTimeout                  the registry did not answer in time (also an asyncio.TimeoutError)
        ├── OciAuthError                credentials missing or refused
        ├── OciNotFound                 unknown repository, tag or digest
        ├── OciRegistryError            an unexpected status or a reply that breaks the distribution protocol
        ├── OciTooLarge                 a manifest or blob is over its size limit
        ├── OciDigestMismatch           bytes differ from the digest that names them
        ├── OciManifestInvalid          a manifest or index that is not valid JSON of a known shape
        ├── OciWrongMediaType           a manifest or layer media type that is not an actor or provider artifact
        ├── OciNoArtifact               a manifest without any layer
        └── OciArtifactInvalid          a file to push is neither a signed actor nor a valid provider archive
"""

from __future__ import annotations

import asyncio

from lattice.errors import LatticeError, LatticeTimeoutError


class OciError(LatticeError):
    """An artifact could not be pulled or pushed; ``ref`` names it."""

    def __init__(self, ref: str, detail: str) -> None:
        super().__init__(f"{ref}: {detail}")
        self.ref = ref
        self.detail = detail


class OciRefInvalid(OciError, ValueError):
    """The reference does not parse, or names an unsupported digest algorithm."""


class OciPolicyRefused(OciError):
    """A setting forbids this pull or push."""


class OciLatestRefused(OciPolicyRefused):
    """``:latest`` (or a ref without tag or digest) while WASMCLOUD_OCI_ALLOW_LATEST is off."""


class OciInsecureRefused(OciPolicyRefused):
    """The registry answers plain HTTP but is not listed in WASMCLOUD_OCI_ALLOWED_INSECURE."""


class OciUnreachable(OciError):
    """No connection to the registry: refused, unknown host, untrusted TLS certificate, NATS not connected."""


class OciTimeout(OciError, LatticeTimeoutError, asyncio.TimeoutError):
    """The registry did not answer in time."""


class OciAuthError(OciError):
    """The registry wants credentials that are missing, or refused the ones given."""


class OciNotFound(OciError):
    """Unknown repository, tag or digest."""


class OciRegistryError(OciError):
    """An unexpected status, or a reply that breaks the distribution protocol."""


class OciTooLarge(OciError):
    """A manifest or blob is larger than its limit."""


class OciDigestMismatch(OciError):
    """Bytes differ from the digest that names them: altered in transit or in storage."""


class OciManifestInvalid(OciError):
    """A manifest or image index that is not valid JSON of a known shape."""


class OciWrongMediaType(OciError):
    """A manifest or layer media type that is not an actor module or a provider archive (or not the kind wanted)."""


class OciNoArtifact(OciError):
    """A manifest without any layer to run."""


class OciArtifactInvalid(OciError):
    """A file to push is neither a signed actor module nor a valid provider archive."""
