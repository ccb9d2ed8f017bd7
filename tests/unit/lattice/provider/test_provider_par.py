"""Provider archives: create → read round trip, and every way an archive is refused."""

from __future__ import annotations

import gzip
import io
import re
import tarfile

import pytest

from lattice import keys
from lattice.claims import ProviderMetadata
from lattice.provider.errors import ProviderArchiveError
from lattice.provider.par import create_par, native_target, read_par, sha256_upper

ISSUER = keys.KeyPair.create(keys.KeyType.ACCOUNT)
PROVIDER = keys.KeyPair.create(keys.KeyType.SERVICE).public_key
META = ProviderMetadata(name="p", capid="test:p", vendor="v", rev=2, ver="1.0.0")


def tar(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:") as out:
        for name, body in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            out.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


def members(par: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(par))) as src:
        return {m.name: src.extractfile(m).read() for m in src.getmembers()}  # type: ignore[union-attr]


@pytest.mark.parametrize("compress", [True, False])
def test_round_trip(compress: bool) -> None:
    data = create_par({"x86_64-linux": b"ELF1", "aarch64-macos": b"MACHO"}, ISSUER, PROVIDER, META, compress=compress)
    assert data[:2] == b"\x1f\x8b" if compress else data[:2] != b"\x1f\x8b"
    archive = read_par(data)
    assert archive.claims.subject == PROVIDER
    assert archive.claims.issuer == ISSUER.public_key
    assert archive.claims.metadata.target_hashes == {
        "x86_64-linux": sha256_upper(b"ELF1"),
        "aarch64-macos": sha256_upper(b"MACHO"),
    }
    assert archive.binary("aarch64-macos") == b"MACHO"
    with pytest.raises(ProviderArchiveError, match="no binary for riscv64-linux"):
        archive.binary("riscv64-linux")


def test_an_altered_binary_is_refused() -> None:
    files = members(create_par({"x86_64-linux": b"ELF1"}, ISSUER, PROVIDER, META))
    files["x86_64-linux.bin"] = b"EVIL"
    with pytest.raises(ProviderArchiveError, match="does not match its signed hash"):
        read_par(tar(files))


def test_an_unlisted_binary_is_refused() -> None:
    files = members(create_par({"x86_64-linux": b"ELF1"}, ISSUER, PROVIDER, META))
    files["aarch64-linux.bin"] = b"EXTRA"
    with pytest.raises(ProviderArchiveError, match="not listed in the archive's signed target_hashes"):
        read_par(tar(files))


def test_claims_must_verify() -> None:
    files = members(create_par({"x86_64-linux": b"ELF1"}, ISSUER, PROVIDER, META))
    header, body, signature = files["claims.jwt"].split(b".")
    files["claims.jwt"] = b".".join([header, body, signature[::-1]])
    with pytest.raises(ProviderArchiveError, match="archive claims are not valid"):
        read_par(tar(files))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (tar({"x86_64-linux.bin": b"x"}), "no claims.jwt"),
        (b"not a tar at all" * 40, "not a tar file"),
        (b"\x1f\x8bgarbage", "not valid gzip"),
    ],
)
def test_malformed_archives(data: bytes, message: str) -> None:
    with pytest.raises(ProviderArchiveError, match=message):
        read_par(data)


def test_size_limit() -> None:
    with pytest.raises(ProviderArchiveError, match="larger than"):
        read_par(create_par({"t-x": b"0" * 10_000}, ISSUER, PROVIDER, META), max_bytes=1000)


def test_native_target_looks_like_arch_dash_os() -> None:
    assert re.match(r"^[a-z0-9_]+-(linux|macos|windows|[a-z0-9]+)$", native_target())
