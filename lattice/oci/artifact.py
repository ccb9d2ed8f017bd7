"""What a pull returns, and the checks every pull shares (validate before caching)."""

from __future__ import annotations

import enum
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from lattice.oci.media import ArtifactKind


class Source(enum.Enum):
    OCI = "oci"
    LATTICE = "lattice"


Validate = Callable[[bytes], Awaitable[None] | None]
"""A check run on pulled bytes before they are cached or returned (e.g. claims); it raises to refuse them. It may
be a coroutine function (to parse a large archive in a thread, say)."""


async def run_validate(validate: Validate | None, data: bytes) -> None:
    """Call ``validate`` on ``data`` and await it when it is a coroutine function."""
    if validate is None:
        return
    outcome = validate(data)
    if inspect.isawaitable(outcome):
        await outcome


@dataclass(frozen=True)
class Artifact:
    """Pulled artifact bytes, checked against ``digest``. ``cached``: no byte of the artifact crossed the network."""

    ref: str
    kind: ArtifactKind
    data: bytes
    digest: str
    media_type: str
    source: Source
    cached: bool
    manifest_digest: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    def describe(self) -> dict[str, object]:
        """Where the bytes came from, for status output and events (no secrets in it)."""
        return {
            "ref": self.ref,
            "source": self.source.value,
            "kind": self.kind.value,
            "digest": self.digest,
            "manifest_digest": self.manifest_digest,
            "media_type": self.media_type,
            "size": self.size,
            "cached": self.cached,
        }


@dataclass(frozen=True)
class PushResult:
    ref: str
    kind: ArtifactKind
    digest: str
    size: int
    media_type: str
    manifest_digest: str | None = None
    uploaded: bool = True

    def describe(self) -> dict[str, object]:
        return {
            "ref": self.ref,
            "kind": self.kind.value,
            "digest": self.digest,
            "manifest_digest": self.manifest_digest,
            "media_type": self.media_type,
            "size": self.size,
            "uploaded": self.uploaded,
        }
