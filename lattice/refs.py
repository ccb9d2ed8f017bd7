"""One spelling per module reference, so that every side compares refs the same way.

* A local path (``./a.wasm``, ``../x/a.wasm``, ``/x/a.wasm``, ``~/a.wasm``, ``a.wasm``) and a ``file://`` URL both
  become ``file://`` + the absolute, resolved path (relative paths against ``base``, default the current folder).
* ``oci://`` is dropped from registry refs (``oci://reg.io/echo:1`` and ``reg.io/echo:1`` are the same image).
* ``python:<module>`` and every other ref are only stripped of surrounding blanks.

The CLI normalises refs before it sends them (a host may run in another folder); hosts and the app reconciler
normalise what they receive and store, and compare only normalised refs.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

FILE_SCHEME = "file://"
OCI_SCHEME = "oci://"
MODULE_SUFFIXES = (".wasm", ".par", ".par.gz")


def is_path_like(ref: str) -> bool:
    return ref.startswith(("/", "./", "../", "~")) or ref.endswith(MODULE_SUFFIXES)


def is_local(ref: str) -> bool:
    """True for a ``file://`` URL or a path (after :func:`canonical_ref` it is always ``file://``)."""
    text = ref.strip()
    return text.startswith(FILE_SCHEME) or ("://" not in text and is_path_like(text))


def canonical_ref(ref: str, base: Path | None = None) -> str:
    text = ref.strip()
    if not text:
        return text
    if text.startswith(FILE_SCHEME):
        return f"{FILE_SCHEME}{_absolute(Path(unquote(text[len(FILE_SCHEME) :])), base)}"
    if "://" not in text and is_path_like(text) and not text.startswith("python:"):
        return f"{FILE_SCHEME}{_absolute(Path(text), base)}"
    if text.startswith(OCI_SCHEME):
        return text[len(OCI_SCHEME) :]
    return text


def local_path(ref: str) -> Path | None:
    """The file a canonical ``file://`` ref names; None for other refs."""
    return Path(ref[len(FILE_SCHEME) :]) if ref.startswith(FILE_SCHEME) else None


def _absolute(path: Path, base: Path | None) -> Path:
    path = path.expanduser()
    if not path.is_absolute():
        path = (base or Path.cwd()) / path
    return path.resolve()
