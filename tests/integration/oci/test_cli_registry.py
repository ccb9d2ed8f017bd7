"""``lattice par create|inspect`` and ``lattice push|pull`` run as a user would, against the real registry and
the lattice registry on the test nats-server."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lattice import keys
from lattice.cli.main import main
from lattice.provider.par import native_target, read_par
from lattice.provider.pypar import PYTHON_ANY
from tests.integration.oci.oci_support import REG_PASSWORD, REG_USER
from tests.integration.oci.registry_server import RegistryServer


@pytest.fixture
def issuer_seed(tmp_path: Path) -> str:
    path = tmp_path / "account.nk"
    path.write_text(keys.KeyPair.create(keys.KeyType.ACCOUNT).seed + "\n")
    return str(path)


def run_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, object]:
    assert main(argv) == 0
    return dict(json.loads(capsys.readouterr().out))


def test_par_create_with_a_binary_and_a_python_provider_then_inspect(
    tmp_path: Path, issuer_seed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "src"
    (src / "tiny_provider").mkdir(parents=True)
    (src / "tiny_provider" / "__init__.py").write_text("")
    (src / "tiny_provider" / "__main__.py").write_text("print('tiny')\n")
    binary = tmp_path / "kv-bin"
    binary.write_bytes(b"#!/bin/sh\nexit 0\n")
    out = tmp_path / "tiny.par.gz"
    made = run_json(
        capsys,
        [
            "par", "create", "--issuer", issuer_seed, "--name", "Tiny", "--capid", "example:tiny", "--rev", "3",
            "--binary", f"{native_target()}={binary}", "--python", "tiny_provider", "--path", str(src),
            "-o", str(out), "--json",
        ],
    )  # fmt: skip
    assert made["targets"] == sorted([native_target(), PYTHON_ANY])
    archive = read_par(out.read_bytes())
    assert archive.claims.subject == made["public_key"]
    assert set(archive.claims.metadata.target_hashes) == {native_target(), PYTHON_ANY}
    shown = run_json(capsys, ["par", "inspect", str(out), "--json"])
    targets = {t["target"]: t for t in shown["targets"]}  # type: ignore[attr-defined]
    assert targets[PYTHON_ANY]["python_module"] == "tiny_provider"
    assert shown["this_host_runs"] == native_target()
    assert main(["par", "inspect", str(out)]) == 0
    assert "example:tiny" in capsys.readouterr().out


def test_par_inspect_refuses_an_altered_archive(
    tmp_path: Path, issuer_seed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    binary = tmp_path / "bin"
    binary.write_bytes(b"#!/bin/sh\nexit 0\n")
    out = tmp_path / "p.par"
    assert main(["par", "create", "--issuer", issuer_seed, "--name", "P", "--capid", "a:b",
                 "--binary", f"{native_target()}={binary}", "-o", str(out)]) == 0  # fmt: skip
    raw = bytearray(out.read_bytes())
    import gzip

    plain = bytearray(gzip.decompress(bytes(raw)))
    at = plain.find(b"exit 0")
    plain[at : at + 6] = b"exit 1"
    out.write_bytes(bytes(plain))
    assert main(["par", "inspect", str(out)]) == 1
    assert "does not match its signed hash" in capsys.readouterr().err


def test_push_and_pull_an_actor_through_a_registry(
    registry: RegistryServer,
    repo: str,
    signed_actor: bytes,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wasm = tmp_path / "echo.wasm"
    wasm.write_bytes(signed_actor)
    ref = f"{registry.address}/{repo}:0.2.0"
    pushed = run_json(capsys, ["push", ref, str(wasm), "--insecure", "--json"])
    assert pushed["kind"] == "actor"
    monkeypatch.chdir(tmp_path)
    pulled = run_json(capsys, ["pull", ref, "--insecure", "--kind", "actor", "--json"])
    assert pulled["digest"] == pushed["digest"]
    assert (tmp_path / f"{repo.rsplit('/', 1)[-1]}.wasm").read_bytes() == signed_actor
    assert main(["pull", f"{registry.address}/{repo}:latest", "--insecure"]) == 1
    assert "WASMCLOUD_OCI_ALLOW_LATEST" in capsys.readouterr().err
    assert main(["pull", ref]) == 1  # not allowed to speak plain HTTP
    assert "--insecure" in capsys.readouterr().err


def test_credentials_from_flags_and_environment(
    auth_registry: RegistryServer,
    repo: str,
    signed_par: bytes,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    par = tmp_path / "p.par.gz"
    par.write_bytes(signed_par)
    ref = f"{auth_registry.address}/{repo}:1.0.0"
    assert main(["push", ref, str(par), "--insecure", "--user", REG_USER, "--password", "nope"]) == 1
    err = capsys.readouterr().err
    assert "refused the credentials" in err
    assert "nope" not in err
    assert main(["push", ref, str(par), "--insecure", "--user", REG_USER, "--password", REG_PASSWORD]) == 0
    monkeypatch.setenv("WASMCLOUD_OCI_REGISTRY", auth_registry.address)
    monkeypatch.setenv("WASMCLOUD_OCI_REGISTRY_USER", REG_USER)
    monkeypatch.setenv("WASMCLOUD_OCI_REGISTRY_PASSWORD", REG_PASSWORD)
    monkeypatch.setenv("WASMCLOUD_OCI_ALLOWED_INSECURE", auth_registry.address)
    out = tmp_path / "back.par.gz"
    assert main(["pull", ref, "-o", str(out)]) == 0
    assert out.read_bytes() == signed_par


def test_progress_line_for_a_large_blob(
    registry: RegistryServer, repo: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], issuer_seed: str
) -> None:
    big = tmp_path / "big-bin"
    big.write_bytes(os.urandom(3 * 1024 * 1024))  # random bytes do not compress
    par = tmp_path / "big.par.gz"
    assert main(["par", "create", "--issuer", issuer_seed, "--name", "Big", "--capid", "a:b",
                 "--binary", f"{native_target()}={big}", "-o", str(par)]) == 0  # fmt: skip
    ref = f"{registry.address}/{repo}:1.0.0"
    assert main(["push", ref, str(par), "--insecure"]) == 0
    assert "pushing: 3.0/3.0 MiB" in capsys.readouterr().err
    assert main(["pull", ref, "--insecure", "-o", str(tmp_path / "back.par.gz")]) == 0
    err = capsys.readouterr().err
    assert "pulling: " in err
    assert "3.0/3.0 MiB" in err


def test_push_and_pull_through_the_lattice_registry(
    nats_url: str, lattice_prefix: str, signed_actor: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wasm = tmp_path / "echo.wasm"
    wasm.write_bytes(signed_actor)
    where = ["--nats-url", nats_url, "-x", lattice_prefix]
    pushed = run_json(capsys, ["push", "lattice://echo:0.2.0", str(wasm), *where, "--json"])
    out = tmp_path / "pulled.wasm"
    pulled = run_json(capsys, ["pull", "lattice://echo:0.2.0", "-o", str(out), *where, "--json"])
    assert (pulled["digest"], pulled["source"]) == (pushed["digest"], "lattice")
    assert out.read_bytes() == signed_actor
    assert main(["pull", "lattice://echo:9.9.9", *where]) == 1
    assert "no such repository or tag" in capsys.readouterr().err
