"""Actor references and module claims: what a host agrees to load."""

from __future__ import annotations

from pathlib import Path

import pytest

from host.actors import ActorRefRejected, ActorStartFailed
from host.actors.actor import ActorInstance
from host.actors.loader import check_claims, claimed_subject, local_path, read_module
from lattice import keys
from lattice.claims import ActorSpec, sign_module

WASM_HEADER = b"\0asm\x01\0\0\0"


def test_file_refs_and_paths_need_file_loading() -> None:
    assert local_path("file:///tmp/a%20b.wasm", True) == Path("/tmp/a b.wasm")
    assert local_path("/tmp/x.wasm", True) == Path("/tmp/x.wasm")
    assert local_path("actors/echo.wasm", True) == Path("actors/echo.wasm")
    with pytest.raises(ActorRefRejected, match="WASMCLOUD_ALLOW_FILE_LOAD"):
        local_path("file:///tmp/x.wasm", False)


@pytest.mark.parametrize("ref", ["", "wasmcloud.azurecr.io/echo:0.3.4", "bindle://x/1.0", "oci://r/x:1"])
def test_other_refs_are_refused(ref: str) -> None:
    with pytest.raises(ActorRefRejected):
        local_path(ref, True)


async def test_read_module_reports_missing_and_oversized_files(tmp_path: Path) -> None:
    with pytest.raises(ActorRefRejected, match="cannot read"):
        await read_module(tmp_path / "missing.wasm")
    big = tmp_path / "big.wasm"
    big.write_bytes(b"\0" * 100)
    with pytest.raises(ActorRefRejected, match="more than the limit"):
        await read_module(big, max_bytes=10)


def test_claims_checks() -> None:
    account = keys.KeyPair.create(keys.KeyType.ACCOUNT)
    signed, claims = sign_module(WASM_HEADER, ActorSpec(name="x", rev=5), account)
    assert check_claims(signed, ()).subject == claims.subject
    assert claimed_subject(signed) == claims.subject
    with pytest.raises(ActorStartFailed, match="not signed"):
        check_claims(WASM_HEADER, ())
    assert claimed_subject(WASM_HEADER) == ""
    other = keys.KeyPair.create(keys.KeyType.ACCOUNT).public_key
    with pytest.raises(ActorStartFailed, match="not in the allowed issuers"):
        check_claims(signed, (other,))
    expired, _ = sign_module(WASM_HEADER, ActorSpec(name="x", expires_in_s=-10), account)
    with pytest.raises(ActorStartFailed, match="expired"):
        check_claims(expired, ())


def test_instances_match_annotations() -> None:
    instance = ActorInstance.new(1, "ref", {"app": "a", "v": "1"})
    assert instance.matches({})
    assert instance.matches({"app": "a"})
    assert not instance.matches({"app": "b"})
