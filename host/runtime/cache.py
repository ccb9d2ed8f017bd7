"""Compiled machine code cached on disk (``Module.serialize`` / ``Module.deserialize_file``).

A cache file is named by a digest of the wasm bytes that were compiled together with the wasmtime
version and the engine settings, so a file is only ever loaded into an engine that can run it; the
key covers the exact bytes, so a mislabelled module hash can never load someone else's code.
Files are written to a temporary name and renamed into place (readers never see half a file). A
file that fails to load is deleted and the module recompiled.

Loading machine code is trusted: the cache directory must be writable by this host only (it is
created with mode 0700).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

import wasmtime

logger = logging.getLogger("host.runtime")

CACHE_SUFFIX = ".cwasm"


class ModuleCache:
    """One cache directory for one engine configuration (``fingerprint``)."""

    def __init__(self, directory: Path, fingerprint: str) -> None:
        self.directory = directory
        self._fingerprint = fingerprint
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    def path_for(self, wasm_digest: str) -> Path:
        """The cache file for the wasm bytes whose SHA-256 hex digest is ``wasm_digest``."""
        key = hashlib.sha256(f"{wasm_digest}|{self._fingerprint}".encode()).hexdigest()
        return self.directory / (key + CACHE_SUFFIX)

    def load(self, engine: wasmtime.Engine, wasm_digest: str) -> wasmtime.Module | None:
        """The cached module, or None when absent or unusable (an unusable file is removed)."""
        path = self.path_for(wasm_digest)
        if not path.is_file():
            return None
        try:
            return wasmtime.Module.deserialize_file(engine, str(path))
        except wasmtime.WasmtimeError as exc:
            logger.warning("dropping unusable module cache file %s: %s", path, exc)
            path.unlink(missing_ok=True)
            return None

    def store(self, module: wasmtime.Module, wasm_digest: str) -> None:
        """Write ``module``'s machine code; a failure to write is logged, not raised."""
        path = self.path_for(wasm_digest)
        try:
            data = module.serialize()
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=CACHE_SUFFIX)
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                os.replace(tmp, path)
            except BaseException:
                os.unlink(tmp)
                raise
        except (OSError, wasmtime.WasmtimeError) as exc:
            logger.warning("could not write module cache file %s: %s", path, exc)
