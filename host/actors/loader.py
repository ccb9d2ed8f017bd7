"""Getting an actor module: references, bytes, claims.

:class:`ModuleSource` loads a reference of any kind (:mod:`host.artifacts`): a local file (only with file loading
allowed) or a registry ref pulled through the host's :class:`lattice.oci.ArtifactFetcher`. A pulled module is
checked by the caller's ``validate`` (the claims) before it is cached; every failure is an :class:`ActorError` whose
message names the ref.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from host.actors.errors import ActorError, ActorFetchFailed, ActorRefRejected, ActorStartFailed
from host.artifacts import RefKind, check_registry_ref, ref_kind
from lattice.claims import ActorClaims, ClaimsError, read_claims, validate_module
from lattice.oci import ArtifactFetcher, ArtifactKind, OciError
from lattice.oci.provenance import Provenance
from lattice.oci.refs import FILE_SCHEME

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


UNSUPPORTED = "use a registry ref (registry/repository:tag, lattice://repository:tag) or a file:// ref"


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
        raise ActorRefRejected(f"cannot load {ref!r}: not a file:// reference or a path")
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


Validate = Callable[[bytes], object]
"""Checks a module's bytes (its claims) and raises :class:`ActorError` to refuse it."""


@dataclass(frozen=True)
class LoadedModule:
    ref: str
    wasm: bytes
    provenance: Provenance


class ModuleSource:
    """Loads actor modules from files and registries (``fetcher`` is the host's; None: files only)."""

    def __init__(
        self, allow_file_load: bool, fetcher: ArtifactFetcher | None, max_file_bytes: int = DEFAULT_MAX_MODULE_BYTES
    ) -> None:
        self.allow_file_load = allow_file_load
        self.fetcher = fetcher
        self.max_file_bytes = max_file_bytes

    def check(self, ref: str) -> None:
        """Refuse at once a reference no load could succeed with (empty, unknown scheme, bad syntax, ``:latest``
        when not allowed, a file with file loading off); raises :class:`ActorRefRejected`."""
        if not isinstance(ref, str) or not ref.strip():
            raise ActorRefRejected("the actor reference is empty")
        kind = ref_kind(ref)
        if kind is None:
            raise ActorRefRejected(f"cannot load {ref.strip()!r}: {UNSUPPORTED}")
        if kind is RefKind.FILE:
            local_path(ref, self.allow_file_load)
            return
        if self.fetcher is None:
            raise ActorRefRejected(f"cannot load {ref.strip()!r}: this host has no registry client")
        try:
            check_registry_ref(ref.strip(), self.fetcher.settings)
        except OciError as exc:
            raise ActorRefRejected(str(exc)) from None

    async def load(self, ref: str, validate: Validate) -> LoadedModule:
        """The module ``ref`` names, accepted by ``validate`` (before anything is cached); errors name the ref."""
        self.check(ref)
        ref = ref.strip()

        def checked(wasm: bytes) -> None:
            try:
                validate(wasm)
            except ActorError as exc:
                raise type(exc)(f"{ref}: {exc}") from None

        if ref_kind(ref) is RefKind.FILE:
            wasm = await read_module(local_path(ref, self.allow_file_load), self.max_file_bytes)
            checked(wasm)
            return LoadedModule(ref, wasm, Provenance.of_file(wasm))
        assert self.fetcher is not None  # check() refused registry refs without one
        try:
            artifact = await self.fetcher.pull(ref, ArtifactKind.ACTOR, validate=checked)
        except OciError as exc:
            raise ActorFetchFailed(str(exc)) from None
        return LoadedModule(ref, artifact.data, Provenance.of_artifact(artifact))
