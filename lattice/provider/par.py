"""Provider archives (PAR, docs/protocol.md §8.1): a tar (gzip-compressed when it starts with ``1f 8b``) holding
``claims.jwt`` and one ``{target}.bin`` per target, e.g. ``x86_64-linux.bin``. Each binary's uppercase-hex SHA-256
must equal ``target_hashes[target]`` in the signed claims. Archives are read in memory; nothing is extracted by
member name.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import platform
import sys
import tarfile
import time
from collections.abc import Mapping
from dataclasses import dataclass

from lattice import keys
from lattice.claims import Claims, ClaimsError, ProviderClaims, ProviderMetadata
from lattice.claims import jwt as claims_jwt
from lattice.provider.errors import ProviderArchiveError

CLAIMS_MEMBER = "claims.jwt"
BINARY_SUFFIX = ".bin"
GZIP_MAGIC = b"\x1f\x8b"
DEFAULT_MAX_ARCHIVE_BYTES = 512 * 1024 * 1024
_ARCH = {"amd64": "x86_64", "x86_64": "x86_64", "arm64": "aarch64", "aarch64": "aarch64"}
_OS = {"linux": "linux", "darwin": "macos", "win32": "windows"}


def native_target() -> str:
    """This platform's target in the PAR naming (``{arch}-{os}``, e.g. ``x86_64-linux``, ``aarch64-macos``)."""
    machine = platform.machine().lower()
    system = next((name for prefix, name in _OS.items() if sys.platform.startswith(prefix)), sys.platform)
    return f"{_ARCH.get(machine, machine)}-{system}"


def sha256_upper(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest().upper()


@dataclass(frozen=True)
class ProviderArchive:
    token: str
    claims: ProviderClaims
    binaries: Mapping[str, bytes]

    def binary(self, target: str) -> bytes:
        """The binary of ``target``; :class:`ProviderArchiveError` naming the targets there are."""
        found = self.binaries.get(target)
        if found is None:
            have = ", ".join(sorted(self.binaries)) or "none"
            raise ProviderArchiveError(f"archive has no binary for {target} (targets: {have})")
        return found


def _members(data: bytes, max_bytes: int) -> dict[str, bytes]:
    if data[:2] == GZIP_MAGIC:
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as unzipped:
                data = unzipped.read(max_bytes + 1)
        except (OSError, EOFError) as exc:
            raise ProviderArchiveError(f"archive is not valid gzip: {exc}") from exc
    if len(data) > max_bytes:
        raise ProviderArchiveError(f"archive is larger than {max_bytes} bytes")
    out: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for member in tar.getmembers():
                if member.isfile():
                    handle = tar.extractfile(member)
                    if handle is not None:
                        out[member.name.rsplit("/", 1)[-1]] = handle.read()
    except (tarfile.TarError, OSError) as exc:
        raise ProviderArchiveError(f"archive is not a tar file: {exc}") from exc
    return out


def read_par(data: bytes, *, max_bytes: int = DEFAULT_MAX_ARCHIVE_BYTES) -> ProviderArchive:
    """Parse an archive, verify its claims (signature, times, V… subject) and every binary's hash."""
    members = _members(data, max_bytes)
    if CLAIMS_MEMBER not in members:
        raise ProviderArchiveError("archive has no claims.jwt")
    token = members[CLAIMS_MEMBER].decode("ascii", "replace").strip()
    try:
        claims = claims_jwt.decode(token, ProviderMetadata)
        claims_jwt.check_times(claims)
    except ClaimsError as exc:
        raise ProviderArchiveError(f"archive claims are not valid: {exc}") from exc
    if not keys.is_public_key(claims.subject, keys.KeyType.SERVICE):
        raise ProviderArchiveError("archive claims do not name a V… provider key as subject")
    binaries = {
        name.removesuffix(BINARY_SUFFIX): body for name, body in members.items() if name.endswith(BINARY_SUFFIX)
    }
    for target, body in binaries.items():
        expected = claims.metadata.target_hashes.get(target)
        if expected is None:
            raise ProviderArchiveError(f"binary {target} is not listed in the archive's signed target_hashes")
        if sha256_upper(body) != expected.upper():
            raise ProviderArchiveError(f"binary {target} does not match its signed hash: the archive was altered")
    return ProviderArchive(token, claims, binaries)


def create_par(
    binaries: Mapping[str, bytes],
    issuer: keys.KeyPair,
    provider_key: str,
    metadata: ProviderMetadata,
    *,
    compress: bool = True,
) -> bytes:
    """An archive of ``binaries`` (target → bytes) with claims signed by ``issuer`` for ``provider_key``."""
    hashes = {target: sha256_upper(body) for target, body in binaries.items()}
    meta = ProviderMetadata(
        name=metadata.name,
        capid=metadata.capid,
        vendor=metadata.vendor,
        rev=metadata.rev,
        ver=metadata.ver,
        target_hashes=hashes,
        config_schema=metadata.config_schema,
    )
    claims = Claims(issuer.public_key, provider_key, int(time.time()), claims_jwt.nuid(), meta)
    files = {CLAIMS_MEMBER: claims_jwt.encode(claims, issuer).encode()}
    files |= {f"{target}{BINARY_SUFFIX}": body for target, body in binaries.items()}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:") as tar:
        for name, body in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            info.mode = 0o755 if name.endswith(BINARY_SUFFIX) else 0o644
            tar.addfile(info, io.BytesIO(body))
    raw = buffer.getvalue()
    return gzip.compress(raw, compresslevel=6) if compress else raw
