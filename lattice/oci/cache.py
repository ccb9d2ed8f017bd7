"""A disk cache of blobs keyed by digest, shared by OCI pulls and the lattice registry.

Layout: ``{dir}/blobs/sha256/{hex}``. Only bytes whose SHA-256 equals their name are written (to a temporary file,
then renamed), and every read is hashed again: a file altered on disk is deleted and reported as absent, so the
caller fetches it anew. Blocking file I/O: fine for artifacts of a few MiB; callers with large PARs use a thread.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from pathlib import Path

from lattice.oci.media import sha256_digest
from lattice.oci.refs import SHA256

log = logging.getLogger(__name__)
_DIR_MODE = 0o700


class BlobCache:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, digest: str) -> Path:
        algorithm, _, hexdigest = digest.partition(":")
        if algorithm != SHA256 or len(hexdigest) != 64 or not all(c in "0123456789abcdef" for c in hexdigest):
            raise ValueError(f"not a sha256 digest: {digest!r}")
        return self.root / "blobs" / SHA256 / hexdigest

    def get(self, digest: str, max_bytes: int | None = None) -> bytes | None:
        """The cached bytes of ``digest``, checked again; None when absent, too large or altered."""
        path = self.path(digest)
        try:
            if max_bytes is not None and path.stat().st_size > max_bytes:
                return None
            data = path.read_bytes()
        except OSError:
            return None
        if sha256_digest(data) != digest:
            log.warning("cached blob %s was altered on disk: removing it", digest)
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        return data

    def has(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def put(self, digest: str, data: bytes) -> Path:
        """Store ``data`` under ``digest``; it must hash to it (callers verify first: this is a second guard)."""
        if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
            raise ValueError(f"refusing to cache bytes that do not match {digest}")
        path = self.path(digest)
        path.parent.mkdir(parents=True, exist_ok=True, mode=_DIR_MODE)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(data)
            tmp.replace(path)
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
        return path
