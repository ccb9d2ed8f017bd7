"""Getting an actor module: references (``file://…`` or a path, only with file loading allowed), bytes, claims."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from pathlib import Path
from urllib.parse import unquote

from host.actors.errors import ActorRefRejected, ActorStartFailed
from lattice.claims import ActorClaims, ClaimsError, read_claims, validate_module

FILE_SCHEME = "file://"
DEFAULT_MAX_MODULE_BYTES = 64 * 1024 * 1024
FILE_LOAD_DISABLED = (
    "loading actors from files is disabled on this host (set WASMCLOUD_ALLOW_FILE_LOAD=true or --allow-file-load)"
)


def is_path_like(ref: str) -> bool:
    return ref.startswith(("/", "./", "../", "~")) or ref.endswith(".wasm")


def canonical_ref(ref: str) -> str:
    """One spelling per local module: ``file://`` + the absolute, resolved path (other refs are unchanged).

    Inventories, refmaps and the app reconciler compare refs as text, so ``./a.wasm``, ``/x/a.wasm`` and
    ``file:///x/a.wasm`` must not look like three different images.
    """
    text = ref.strip() if isinstance(ref, str) else ref
    if not isinstance(text, str) or not text:
        return ref
    if text.startswith(FILE_SCHEME):
        return f"{FILE_SCHEME}{Path(unquote(text[len(FILE_SCHEME) :])).expanduser().resolve()}"
    if "://" not in text and is_path_like(text):
        return f"{FILE_SCHEME}{Path(text).expanduser().resolve()}"
    return text


def local_path(ref: str, allow_file_load: bool) -> Path:
    """The file an actor reference names; raises :class:`ActorRefRejected` for anything else."""
    if not isinstance(ref, str) or not ref.strip():
        raise ActorRefRejected("the actor reference is empty")
    ref = ref.strip()
    if ref.startswith(FILE_SCHEME):
        path = Path(unquote(ref[len(FILE_SCHEME) :]))
    elif "://" not in ref and is_path_like(ref):
        path = Path(ref).expanduser()
    else:
        raise ActorRefRejected(f"cannot load {ref!r}: this host starts actors from file:// references or paths only")
    if not allow_file_load:
        raise ActorRefRejected(FILE_LOAD_DISABLED)
    return path


def _read(path: Path, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ActorRefRejected(f"{path} has {size} bytes, more than the limit of {max_bytes}")
        return path.read_bytes()
    except OSError as exc:
        raise ActorRefRejected(f"cannot read {path}: {exc.strerror or exc}") from None


async def read_module(path: Path, max_bytes: int = DEFAULT_MAX_MODULE_BYTES) -> bytes:
    return await asyncio.to_thread(_read, path, max_bytes)


def check_claims(wasm: bytes, allowed_issuers: Collection[str] | None) -> ActorClaims:
    """The module's validated claims (signature, subject, hash, times, issuer); :class:`ActorStartFailed` if not."""
    try:
        return validate_module(wasm, allowed_issuers=allowed_issuers or None)
    except ClaimsError as exc:
        raise ActorStartFailed(f"actor claims rejected: {exc}") from None


def claimed_subject(wasm: bytes) -> str:
    """The subject a module claims to be, unverified (for failure events); "" when unreadable."""
    try:
        return read_claims(wasm, verify=False).subject
    except ClaimsError:
        return ""
