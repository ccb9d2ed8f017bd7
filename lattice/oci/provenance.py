"""Where a running actor's or provider's bytes came from, as hosts report it.

A host reports it in its inventory (``get.{host}.inv``) as three annotations on every actor instance and provider,
added when the inventory is made (they are not part of the annotations a start command gave, so they never change
which instances a stop or scale matches): ``wasmlattice.dev/source`` (``oci``, ``lattice``, ``file`` or
``python``), ``wasmlattice.dev/digest`` (``sha256:…`` of the module or archive; empty for ``python:`` refs) and
``wasmlattice.dev/cached`` (``true`` when no byte crossed the network for that start). ``lattice app status``
reads them back. See docs/adr/0016-host-artifacts-and-provenance.md.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from lattice.oci.artifact import Artifact
from lattice.oci.media import sha256_digest

ANNOTATION_PREFIX = "wasmlattice.dev/"
SOURCE_ANNOTATION = f"{ANNOTATION_PREFIX}source"
DIGEST_ANNOTATION = f"{ANNOTATION_PREFIX}digest"
CACHED_ANNOTATION = f"{ANNOTATION_PREFIX}cached"
SHORT_DIGEST_CHARS = 12


class SourceKind(enum.Enum):
    OCI = "oci"
    LATTICE = "lattice"
    FILE = "file"
    PYTHON = "python"


@dataclass(frozen=True)
class Provenance:
    """``source`` kind, the ``digest`` of the bytes (``""`` for Python modules installed beside the host), and
    whether they came from the host's cache."""

    source: SourceKind
    digest: str = ""
    cached: bool = False

    @classmethod
    def of_artifact(cls, artifact: Artifact) -> Provenance:
        return cls(SourceKind(artifact.source.value), artifact.digest, artifact.cached)

    @classmethod
    def of_file(cls, data: bytes) -> Provenance:
        return cls(SourceKind.FILE, sha256_digest(data))

    def annotations(self) -> dict[str, str]:
        return {
            SOURCE_ANNOTATION: self.source.value,
            DIGEST_ANNOTATION: self.digest,
            CACHED_ANNOTATION: "true" if self.cached else "false",
        }

    @classmethod
    def from_annotations(cls, notes: Mapping[str, str]) -> Provenance | None:
        """What a host reported; None when the annotations do not say (another kind of host, or an older one)."""
        try:
            source = SourceKind(notes.get(SOURCE_ANNOTATION, ""))
        except ValueError:
            return None
        return cls(source, notes.get(DIGEST_ANNOTATION, ""), notes.get(CACHED_ANNOTATION) == "true")

    def describe(self) -> str:
        """``oci sha256:0123456789ab (cached)``: short enough for a table cell."""
        text = self.source.value
        if self.digest:
            text += f" {self.digest[: len('sha256:') + SHORT_DIGEST_CHARS]}"
        return text + (" (cached)" if self.cached else "")


def without_provenance(notes: Mapping[str, str]) -> dict[str, str]:
    """``notes`` minus the provenance annotations (what the start command gave)."""
    return {k: v for k, v in notes.items() if not k.startswith(ANNOTATION_PREFIX)}
