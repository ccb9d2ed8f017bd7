"""``lattice keys`` and ``lattice claims``, run as a real process: outputs, file modes, and one-line errors."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import wasmtime

from lattice import claims, keys
from lattice.keys import KeyPair, KeyType

REPO_ROOT = Path(__file__).resolve().parents[4]
CLI_TIMEOUT_S = 60
MODULE = bytes(wasmtime.wat2wasm('(module (func (export "run") (result i32) i32.const 7))'))


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


Cli = Callable[..., Run]


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    env = os.environ | {"WASMLATTICE_KEYS_DIR": str(tmp_path / "keys")}

    def run(*args: str) -> Run:
        done = subprocess.run(
            [sys.executable, "-m", "lattice.cli.main", *args],
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_S,
            cwd=REPO_ROOT,
            env=env,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    return run


def assert_one_line_error(result: Run) -> None:
    assert result.code != 0
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("error: "), result.err


@pytest.fixture
def account() -> KeyPair:
    return KeyPair.create(KeyType.ACCOUNT)


@pytest.fixture
def signed_file(tmp_path: Path, account: KeyPair) -> Path:
    module, _ = claims.sign_module(MODULE, claims.ActorSpec("Echo", caps=["wasmcloud:httpserver"]), account)
    path = tmp_path / "echo_s.wasm"
    path.write_bytes(module)
    return path


# --- keys ------------------------------------------------------------------------------------------------------------


def test_keys_gen_module_writes_a_0600_seed_and_prints_the_key(cli: Cli, tmp_path: Path) -> None:
    seed_file = tmp_path / "out" / "actor.nk"
    result = cli("keys", "gen", "module", "-o", str(seed_file))
    assert result.code == 0, result.err
    public = result.out.strip()
    assert public.startswith("M")
    assert keys.is_public_key(public, KeyType.MODULE)
    assert stat.S_IMODE(seed_file.stat().st_mode) == 0o600
    seed = seed_file.read_text().strip()
    assert seed.startswith("SM")
    assert KeyPair.from_seed(seed).public_key == public
    assert "Traceback" not in result.err


def test_keys_gen_json_and_default_location(cli: Cli, tmp_path: Path) -> None:
    result = cli("keys", "gen", "account", "--json")
    assert result.code == 0, result.err
    body = json.loads(result.out)
    assert body["type"] == "account"
    assert Path(body["seed_file"]) == tmp_path / "keys" / "account.nk"
    assert KeyPair.from_seed(Path(body["seed_file"]).read_text()).public_key == body["public_key"]


def test_keys_gen_refuses_to_overwrite(cli: Cli, tmp_path: Path) -> None:
    seed_file = tmp_path / "x.nk"
    assert cli("keys", "gen", "cluster", "-o", str(seed_file)).code == 0
    before = seed_file.read_text()
    assert_one_line_error(cli("keys", "gen", "cluster", "-o", str(seed_file)))
    assert seed_file.read_text() == before
    assert cli("keys", "gen", "cluster", "-o", str(seed_file), "--force").code == 0
    assert seed_file.read_text() != before


def test_keys_gen_unknown_type(cli: Cli) -> None:
    result = cli("keys", "gen", "bogus")
    assert_one_line_error(result)
    assert result.code == 2


def test_keys_gen_into_an_unwritable_place(cli: Cli, tmp_path: Path) -> None:
    assert_one_line_error(cli("keys", "gen", "module", "-o", str(tmp_path)))


def test_keys_show_reads_a_seed_or_a_file(cli: Cli, tmp_path: Path) -> None:
    pair = KeyPair.create(KeyType.SERVICE)
    (tmp_path / "svc.nk").write_text(pair.seed + "\n")
    assert cli("keys", "show", pair.seed).out.strip() == pair.public_key
    assert cli("keys", "show", str(tmp_path / "svc.nk")).out.strip() == pair.public_key


@pytest.mark.parametrize("content", [b"SAnotaseed", b"\xff\xfe\x00binary"])
def test_keys_show_bad_seed_files(cli: Cli, tmp_path: Path, content: bytes) -> None:
    (tmp_path / "bad.nk").write_bytes(content)
    assert_one_line_error(cli("keys", "show", str(tmp_path / "bad.nk")))


# --- claims sign / inspect -------------------------------------------------------------------------------------------


def test_sign_then_inspect(cli: Cli, tmp_path: Path, account: KeyPair) -> None:
    source = tmp_path / "actor.wasm"
    source.write_bytes(MODULE)
    signed = cli("claims", "sign", str(source), "--issuer", account.seed, "--name", "My Actor", "--cap", "a:b,c:d")
    assert signed.code == 0, signed.err
    out = tmp_path / "actor_s.wasm"
    made = claims.validate_module(out.read_bytes())
    assert made.metadata.caps == ("a:b", "c:d")
    assert (tmp_path / "keys" / "my_actor_module.nk").exists()

    human = cli("claims", "inspect", str(out))
    assert human.code == 0, human.err
    assert made.subject in human.out
    assert human.err == ""

    as_json = cli("claims", "inspect", str(out), "--json")
    assert as_json.code == 0, as_json.err
    body = json.loads(as_json.out)
    assert body["valid"] is True
    assert body["checks"] == {"signature": "ok", "hash": "ok", "times": "ok"}
    assert body["claims"]["sub"] == made.subject


def test_sign_with_seed_files_and_expiry(cli: Cli, tmp_path: Path, account: KeyPair) -> None:
    module_key = KeyPair.create(KeyType.MODULE)
    (tmp_path / "acct.nk").write_text(account.seed)
    (tmp_path / "mod.nk").write_text(module_key.seed)
    source, out = tmp_path / "a.wasm", tmp_path / "signed.wasm"
    source.write_bytes(MODULE)
    args = ["claims", "sign", str(source), "--issuer", str(tmp_path / "acct.nk"), "--subject", str(tmp_path / "mod.nk")]
    result = cli(*args, "--name", "x", "--expires-in", "2h", "-o", str(out), "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["public_key"] == module_key.public_key
    made = claims.validate_module(out.read_bytes())
    assert made.expires is not None
    assert abs(made.expires - made.issued_at - 7200) == 0


def _truncated(signed: bytes) -> bytes:
    return signed[: len(signed) - 20]


def _altered(signed: bytes) -> bytes:
    from lattice.claims import wasm

    code = next(s for s in wasm.sections(signed) if s.id == 10)
    at = code.payload_start + 1
    return signed[:at] + bytes([signed[at] ^ 0x01]) + signed[at + 1 :]


def _expired(_: bytes) -> bytes:
    account = KeyPair.create(KeyType.ACCOUNT)
    spec = claims.ActorSpec("old", expires_in_s=60)
    return claims.sign_module(MODULE, spec, account, now=int(time.time()) - 7200)[0]


def _not_yet_valid(_: bytes) -> bytes:
    return claims.sign_module(MODULE, claims.ActorSpec("new", not_before_in_s=3600), KeyPair.create(KeyType.ACCOUNT))[0]


@pytest.mark.parametrize(
    "make",
    [
        _truncated,
        lambda _: b"#!/bin/sh\necho not wasm\n",
        lambda _: MODULE,
        _altered,
        _expired,
        _not_yet_valid,
        lambda _: b"",
    ],
    ids=["truncated", "non-wasm", "unsigned", "altered", "expired", "not-yet-valid", "empty"],
)
def test_inspect_bad_modules(cli: Cli, tmp_path: Path, signed_file: Path, make: Callable[[bytes], bytes]) -> None:
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(make(signed_file.read_bytes()))
    assert_one_line_error(cli("claims", "inspect", str(bad)))
    assert_one_line_error(cli("claims", "inspect", str(bad), "--json"))


def test_inspect_missing_file(cli: Cli, tmp_path: Path) -> None:
    assert_one_line_error(cli("claims", "inspect", str(tmp_path / "nope.wasm")))


def test_inspect_altered_module_names_the_failed_check(cli: Cli, tmp_path: Path, signed_file: Path) -> None:
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(_altered(signed_file.read_bytes()))
    result = cli("claims", "inspect", str(bad), "--json")
    body = json.loads(result.out)
    assert body["valid"] is False
    assert body["checks"]["signature"] == "ok"
    assert body["checks"]["hash"] != "ok"
    assert "hash" in result.err


@pytest.mark.parametrize(
    "issuer",
    [
        "SA" + "A" * 56,  # the right length, a bad checksum
        "not-a-seed",
        "SAAB",
    ],
)
def test_sign_with_a_malformed_issuer_seed(cli: Cli, tmp_path: Path, issuer: str) -> None:
    source = tmp_path / "a.wasm"
    source.write_bytes(MODULE)
    assert_one_line_error(cli("claims", "sign", str(source), "--issuer", issuer, "--name", "x"))
    assert not (tmp_path / "a_s.wasm").exists()


def test_sign_with_a_module_seed_as_issuer(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "a.wasm"
    source.write_bytes(MODULE)
    result = cli("claims", "sign", str(source), "--issuer", KeyPair.create(KeyType.MODULE).seed, "--name", "x")
    assert_one_line_error(result)
    assert "account" in result.err


@pytest.mark.parametrize("content", [b"garbage\n", b"\xff\xfe\x00\x01 binary"])
def test_sign_with_a_bad_issuer_file(cli: Cli, tmp_path: Path, content: bytes) -> None:
    source, seed_file = tmp_path / "a.wasm", tmp_path / "issuer.nk"
    source.write_bytes(MODULE)
    seed_file.write_bytes(content)
    assert_one_line_error(cli("claims", "sign", str(source), "--issuer", str(seed_file), "--name", "x"))


def test_sign_a_non_wasm_file(cli: Cli, tmp_path: Path, account: KeyPair) -> None:
    source = tmp_path / "a.txt"
    source.write_text("hello")
    assert_one_line_error(cli("claims", "sign", str(source), "--issuer", account.seed, "--name", "x"))
    assert not (tmp_path / "keys" / "x_module.nk").exists()  # no stray key for a module that was never signed


def test_sign_to_an_unwritable_output(cli: Cli, tmp_path: Path, account: KeyPair) -> None:
    source = tmp_path / "a.wasm"
    source.write_bytes(MODULE)
    args = ["claims", "sign", str(source), "--issuer", account.seed, "--name", "x", "-o", str(tmp_path)]
    assert_one_line_error(cli(*args))
    assert not (tmp_path / "keys" / "x_module.nk").exists()


def test_sign_twice_with_the_same_name_keeps_the_first_key(cli: Cli, tmp_path: Path, account: KeyPair) -> None:
    source = tmp_path / "a.wasm"
    source.write_bytes(MODULE)
    assert cli("claims", "sign", str(source), "--issuer", account.seed, "--name", "x").code == 0
    first_key = (tmp_path / "keys" / "x_module.nk").read_text()
    result = cli("claims", "sign", str(source), "--issuer", account.seed, "--name", "x", "-o", str(tmp_path / "b.wasm"))
    assert_one_line_error(result)
    assert "--subject" in result.err
    assert (tmp_path / "keys" / "x_module.nk").read_text() == first_key
    assert not (tmp_path / "b.wasm").exists()
