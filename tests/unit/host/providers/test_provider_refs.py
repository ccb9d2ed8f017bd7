"""Provider references: python: modules, PAR files (written under the state directory), refusals."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from host.providers.errors import ProviderStartFailed
from host.providers.refs import is_file_ref, resolve
from lattice import keys
from lattice.claims import ProviderMetadata
from lattice.provider.par import create_par, native_target


def test_python_ref_runs_the_module_with_this_interpreter(tmp_path: Path) -> None:
    resolved = resolve("python:wasmlattice_keyvalue", "default", tmp_path, allow_file_load=False)
    assert resolved.argv == (sys.executable, "-m", "wasmlattice_keyvalue")
    assert resolved.contract_id == "wasmcloud:keyvalue"
    assert resolved.revision == 1


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("/x/p.par.gz", True),
        ("./p.par", True),
        ("file:///x/p", True),
        ("p.par.gz", True),
        ("python:m", False),
        ("oci://r/x:1", False),
    ],
)
def test_is_file_ref(ref: str, expected: bool) -> None:
    assert is_file_ref(ref) is expected


def test_par_binary_lands_in_a_sanitised_path_and_is_reused(tmp_path: Path) -> None:
    issuer = keys.KeyPair.create(keys.KeyType.ACCOUNT)
    key = keys.KeyPair.create(keys.KeyType.SERVICE).public_key
    meta = ProviderMetadata(name="n", capid="acme:thing v2", vendor="v", rev=None)
    par = tmp_path / "p.par.gz"
    par.write_bytes(create_par({native_target(): b"#!/bin/sh\n"}, issuer, key, meta))
    first = resolve(str(par), "blue/green", tmp_path / "state", allow_file_load=True)
    target = Path(first.argv[0])
    assert target.parent.parent == tmp_path / "state" / key
    assert target.name == "acme_thing_v2_blue_green"
    assert first.revision == first.claims.issued_at  # no rev: iat stands in, as OTP does
    mtime = target.stat().st_mtime_ns
    resolve(f"file://{par}", "blue/green", tmp_path / "state", allow_file_load=True)
    assert target.stat().st_mtime_ns == mtime


def test_file_refs_are_refused_without_allow_file_load(tmp_path: Path) -> None:
    with pytest.raises(ProviderStartFailed, match="not allowed"):
        resolve(str(tmp_path / "p.par.gz"), "default", tmp_path, allow_file_load=False)
