"""Provider references and what they resolve to: verified claims, then a command line.

A start goes in two steps: :meth:`ProviderSources.fetch` gets the claims (and the archive) without writing
anything, so a policy service can be asked first; :meth:`ProviderSources.prepare` then makes the command line.

* ``python:<module>`` runs ``sys.executable -m <module>``; the claims are the package's ``claims.jwt``.
* A provider archive (PAR) from a file (``/path/x.par.gz``, ``./x.par``, ``file:///path``; only when file loads are
  allowed), an OCI registry or the lattice registry (``lattice://…``). Its claims and every binary's hash are
  verified, and a target this host runs is chosen (:func:`lattice.provider.pypar.select_target`) — for a registry
  ref before anything is cached. A native binary is written under the state directory as
  ``{state_dir}/{provider_key}/{rev}/{contract}_{link}`` (non-alphanumerics become ``_``) and run; a Python payload
  is unpacked once into an isolated venv (``{state_dir}/python/{sha256}``, docs/adr/0011) and run with
  ``python -I -m``.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from host.artifacts import PYTHON_SCHEME, RefKind, ref_kind
from host.providers.errors import ProviderStartFailed
from lattice.claims import ProviderClaims
from lattice.oci import ArtifactFetcher, ArtifactKind, OciError
from lattice.oci.provenance import Provenance, SourceKind
from lattice.oci.refs import FILE_SCHEME
from lattice.provider import ProviderError
from lattice.provider.claims import module_claims
from lattice.provider.par import ProviderArchive, read_par, sha256_upper
from lattice.provider.pypar import is_python_target, select_target, unpack_python

_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_UNSAFE = re.compile(r"[^A-Za-z0-9]")
PYTHON_MODULE = Provenance(SourceKind.PYTHON)
UNSUPPORTED = (
    "use python:<module>, a provider archive (a .par.gz path or file:// ref), or a registry ref "
    "(registry/repository:tag, lattice://repository:tag)"
)


@dataclass(frozen=True)
class ResolvedProvider:
    image_ref: str
    claims: ProviderClaims
    argv: tuple[str, ...]
    provenance: Provenance = PYTHON_MODULE

    @property
    def public_key(self) -> str:
        return self.claims.subject

    @property
    def contract_id(self) -> str:
        return self.claims.metadata.capid

    @property
    def revision(self) -> int:
        """``rev`` from the claims; a missing or 0 rev is replaced by ``iat`` (as OTP does)."""
        return self.claims.metadata.rev or self.claims.issued_at


@dataclass(frozen=True)
class FetchedProvider:
    """A provider whose claims are verified, not yet prepared to run: ``archive`` for PARs, ``argv`` for
    ``python:`` refs."""

    ref: str
    claims: ProviderClaims
    provenance: Provenance
    archive: ProviderArchive | None = None
    argv: tuple[str, ...] = ()


def is_file_ref(ref: str) -> bool:
    return ref_kind(ref, provider=True) is RefKind.FILE


def read_archive(ref: str, data: bytes) -> ProviderArchive:
    """A verified archive with a target this host runs (blocking: call it in a thread)."""
    try:
        archive = read_par(data)
        select_target(archive)
    except ProviderError as exc:
        raise ProviderStartFailed(f"{ref}: {exc}") from exc
    return archive


def _python(ref: str) -> FetchedProvider:
    module = ref.removeprefix(PYTHON_SCHEME)
    if not _MODULE.match(module):
        raise ProviderStartFailed(f"{ref!r} does not name a Python module")
    try:
        claims = module_claims(module)
    except ProviderError as exc:
        raise ProviderStartFailed(str(exc)) from exc
    return FetchedProvider(ref, claims, PYTHON_MODULE, argv=(sys.executable, "-m", module))


def _file_path(ref: str) -> Path:
    return Path(unquote(urlsplit(ref).path)) if ref.startswith(FILE_SCHEME) else Path(ref).expanduser()


def _file(ref: str) -> FetchedProvider:
    path = _file_path(ref)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ProviderStartFailed(f"cannot read provider archive {path}: {exc.strerror or exc}") from exc
    archive = read_archive(str(path), data)
    return FetchedProvider(ref, archive.claims, Provenance.of_file(data), archive)


def fetch_local(ref: str, allow_file_load: bool) -> FetchedProvider:
    """``python:`` and file refs (blocking file I/O: call it in a thread)."""
    kind = ref_kind(ref, provider=True)
    if kind is RefKind.PYTHON:
        return _python(ref)
    if kind is RefKind.FILE:
        if not allow_file_load:
            raise ProviderStartFailed(f"cannot load {ref!r}: loading providers from files is not allowed on this host")
        return _file(ref)
    raise ProviderStartFailed(f"unsupported provider reference {ref!r}: {UNSUPPORTED}")


def prepare(fetched: FetchedProvider, link_name: str, state_dir: Path) -> ResolvedProvider:
    """The command line of a fetched provider (writes or unpacks its binary; blocking: call it in a thread)."""
    archive = fetched.archive
    if archive is None:
        return ResolvedProvider(fetched.ref, fetched.claims, fetched.argv, fetched.provenance)
    target = select_target(archive)
    binary = archive.binaries[target]
    if is_python_target(target):
        try:
            argv = unpack_python(binary, state_dir)
        except ProviderError as exc:
            raise ProviderStartFailed(f"{fetched.ref}: {exc}") from exc
        return ResolvedProvider(fetched.ref, fetched.claims, argv, fetched.provenance)
    claims = fetched.claims
    rev = claims.metadata.rev or claims.issued_at
    name = f"{_UNSAFE.sub('_', claims.metadata.capid)}_{_UNSAFE.sub('_', link_name)}"
    path = state_dir / claims.subject / str(rev) / name
    _write_executable(path, binary)
    return ResolvedProvider(fetched.ref, claims, (str(path),), fetched.provenance)


def resolve(ref: str, link_name: str, state_dir: Path, allow_file_load: bool) -> ResolvedProvider:
    """What to run for a ``python:`` or file ref (blocking file I/O: call it in a thread)."""
    return prepare(fetch_local(ref, allow_file_load), link_name, state_dir)


def _write_executable(path: Path, binary: bytes) -> None:
    try:
        if path.is_file() and sha256_upper(path.read_bytes()) == sha256_upper(binary):
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(binary)
        os.chmod(tmp, 0o755)
        tmp.replace(path)
    except OSError as exc:
        raise ProviderStartFailed(f"cannot write provider binary {path}: {exc.strerror or exc}") from exc


@dataclass(frozen=True)
class ProviderSources:
    """Where provider references resolve: binaries are written under ``state_dir``; file refs need permission;
    registry refs are pulled through ``fetcher`` (the host's)."""

    state_dir: Path
    allow_file_load: bool = False
    fetcher: ArtifactFetcher | None = None

    async def fetch(self, ref: str) -> FetchedProvider:
        """Verified claims (and archive) of ``ref``; a registry ref is pulled, checked, then cached."""
        ref = ref.strip()
        kind = ref_kind(ref, provider=True)
        if kind is None or not kind.is_registry:
            return await asyncio.to_thread(fetch_local, ref, self.allow_file_load)
        if self.fetcher is None:
            raise ProviderStartFailed(f"cannot load {ref!r}: this host has no registry client")
        checked: list[ProviderArchive] = []

        async def validate(data: bytes) -> None:
            checked.append(await asyncio.to_thread(read_archive, ref, data))

        try:
            artifact = await self.fetcher.pull(ref, ArtifactKind.PROVIDER, validate=validate)
        except OciError as exc:
            raise ProviderStartFailed(str(exc)) from None
        archive = checked[-1]
        return FetchedProvider(ref, archive.claims, Provenance.of_artifact(artifact), archive)

    async def prepare(self, fetched: FetchedProvider, link_name: str) -> ResolvedProvider:
        return await asyncio.to_thread(prepare, fetched, link_name, self.state_dir)

    async def resolve(self, ref: str, link_name: str) -> ResolvedProvider:
        return await self.prepare(await self.fetch(ref), link_name)
