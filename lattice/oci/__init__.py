"""Artifacts from OCI registries and from the lattice's own registry (a JetStream object store).

``OciPuller`` (over a :class:`RegistryClient`) and :class:`LatticeRegistry` pull and push actor modules and provider
archives; both check every byte against its digest, share the digest-keyed disk cache and raise :class:`OciError`
subclasses that name the ref. :class:`ArtifactFetcher` picks the right one for any ref.
"""

from lattice.oci.artifact import Artifact, PushResult, Source, Validate
from lattice.oci.client import RegistryClient
from lattice.oci.errors import (
    OciArtifactInvalid,
    OciAuthError,
    OciDigestMismatch,
    OciError,
    OciInsecureRefused,
    OciLatestRefused,
    OciManifestInvalid,
    OciNoArtifact,
    OciNotFound,
    OciPolicyRefused,
    OciRefInvalid,
    OciRegistryError,
    OciTimeout,
    OciTooLarge,
    OciUnreachable,
    OciWrongMediaType,
)
from lattice.oci.fetcher import ArtifactFetcher
from lattice.oci.media import ArtifactKind
from lattice.oci.pull import OciPuller
from lattice.oci.refs import ImageRef, LatticeRef, is_lattice_ref, is_oci_ref, parse_ref
from lattice.oci.registry import LatticeRegistry
from lattice.oci.settings import Credentials, OciLimits, OciSettings, OciTimeouts, settings_from_env

__all__ = [
    "Artifact",
    "ArtifactFetcher",
    "ArtifactKind",
    "Credentials",
    "ImageRef",
    "LatticeRef",
    "LatticeRegistry",
    "OciArtifactInvalid",
    "OciAuthError",
    "OciDigestMismatch",
    "OciError",
    "OciInsecureRefused",
    "OciLatestRefused",
    "OciLimits",
    "OciManifestInvalid",
    "OciNoArtifact",
    "OciNotFound",
    "OciPolicyRefused",
    "OciPuller",
    "OciRefInvalid",
    "OciRegistryError",
    "OciSettings",
    "OciTimeout",
    "OciTimeouts",
    "OciTooLarge",
    "OciUnreachable",
    "OciWrongMediaType",
    "PushResult",
    "RegistryClient",
    "Source",
    "Validate",
    "is_lattice_ref",
    "is_oci_ref",
    "parse_ref",
    "settings_from_env",
]
