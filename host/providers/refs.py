"""Provider references and what they resolve to: a command line and verified claims.

* ``python:<module>`` runs ``sys.executable -m <module>``; the claims are the package's ``claims.jwt``.
* A PAR file (``/path/x.par.gz``, ``./x.par``, ``file:///path``) is read (only when file loads are allowed), its
  claims and hashes verified, and the binary for this platform's target written under the state directory as
  ``{state_dir}/{provider_key}/{rev}/{contract}_{link}`` (non-alphanumerics become ``_``), then run. A Python
  payload target (``python3-any`` …, docs/adr/0011) is unpacked once into an isolated venv under
  ``{state_dir}/python/`` and run with ``python -I -m MODULE``.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from host.providers.errors import ProviderStartFailed
from lattice.claims import ProviderClaims
from lattice.provider import ProviderError
from lattice.provider.claims import module_claims
from lattice.provider.par import read_par, sha256_upper
from lattice.provider.pypar import is_python_target, select_target, unpack_python

PYTHON_SCHEME = "python:"
FILE_SCHEME = "file://"
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_UNSAFE = re.compile(r"[^A-Za-z0-9]")


@dataclass(frozen=True)
class ResolvedProvider:
    image_ref: str
    claims: ProviderClaims
    argv: tuple[str, ...]

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


def is_file_ref(ref: str) -> bool:
    return ref.startswith(FILE_SCHEME) or ref.startswith(("/", "./", "../")) or ref.endswith((".par", ".par.gz"))


def resolve(ref: str, link_name: str, state_dir: Path, allow_file_load: bool) -> ResolvedProvider:
    """What to run for ``ref`` (blocking file I/O: call it in a thread)."""
    if ref.startswith(PYTHON_SCHEME):
        return _python(ref)
    if is_file_ref(ref):
        if not allow_file_load:
            raise ProviderStartFailed(f"cannot load {ref!r}: loading providers from files is not allowed on this host")
        return _par(ref, link_name, state_dir)
    raise ProviderStartFailed(
        f"unsupported provider reference {ref!r}: use python:<module> or the path of a provider archive (.par.gz)"
    )


def _python(ref: str) -> ResolvedProvider:
    module = ref.removeprefix(PYTHON_SCHEME)
    if not _MODULE.match(module):
        raise ProviderStartFailed(f"{ref!r} does not name a Python module")
    try:
        claims = module_claims(module)
    except ProviderError as exc:
        raise ProviderStartFailed(str(exc)) from exc
    return ResolvedProvider(ref, claims, (sys.executable, "-m", module))


def _file_path(ref: str) -> Path:
    return Path(unquote(urlsplit(ref).path)) if ref.startswith(FILE_SCHEME) else Path(ref)


def _par(ref: str, link_name: str, state_dir: Path) -> ResolvedProvider:
    path = _file_path(ref)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ProviderStartFailed(f"cannot read provider archive {path}: {exc.strerror or exc}") from exc
    try:
        archive = read_par(data)
        chosen = select_target(archive)  # this platform's binary, else a Python payload (docs/adr/0011)
        if is_python_target(chosen):
            return ResolvedProvider(ref, archive.claims, unpack_python(archive.binaries[chosen], state_dir))
        binary = archive.binary(chosen)
    except ProviderError as exc:
        raise ProviderStartFailed(f"{path}: {exc}") from exc
    claims = archive.claims
    rev = claims.metadata.rev or claims.issued_at
    target = (
        state_dir
        / claims.subject
        / str(rev)
        / f"{_UNSAFE.sub('_', claims.metadata.capid)}_{_UNSAFE.sub('_', link_name)}"
    )
    _write_executable(target, binary)
    return ResolvedProvider(ref, claims, (str(target),))


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
