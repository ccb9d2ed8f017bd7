"""A provider run by hand keeps its key across restarts and signs with the local lattice's cluster key."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from lattice import keys
from lattice.provider import Provider
from lattice.provider.cli import manual_host_data, parser


class Unsigned(Provider):  # no claims.jwt beside this module: the key comes from a seed file
    contract_id = "test:unsigned"


def test_the_key_of_a_provider_without_claims_survives_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WASMLATTICE_KEYS_DIR", str(tmp_path / "keys"))
    first = manual_host_data(Unsigned, parser("p").parse_args(["--manual"])).provider_key
    second = manual_host_data(Unsigned, parser("p").parse_args(["--manual"])).provider_key
    assert first == second
    assert keys.is_public_key(first, keys.KeyType.SERVICE)
    [seed_file] = (tmp_path / "keys").glob("provider-*.nk")
    assert stat.S_IMODE(seed_file.stat().st_mode) == 0o600
    assert keys.KeyPair.from_seed(seed_file.read_text().strip()).public_key == first


def test_a_chosen_seed_file_is_used(tmp_path: Path) -> None:
    chosen = tmp_path / "greeter.nk"
    args = parser("p").parse_args(["--manual", f"--provider-seed={chosen}"])
    key = manual_host_data(Unsigned, args).provider_key
    assert keys.KeyPair.from_seed(chosen.read_text().strip()).public_key == key


def test_the_local_lattices_cluster_key_is_used_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = tmp_path / "state"
    state.mkdir()
    cluster = keys.KeyPair.create(keys.KeyType.CLUSTER)
    (state / "cluster.nk").write_text(cluster.seed + "\n")
    monkeypatch.setenv("WASMLATTICE_STATE_DIR", str(state))
    monkeypatch.delenv("WASMCLOUD_CLUSTER_SEED", raising=False)
    hd = manual_host_data(Unsigned, parser("p").parse_args(["--manual", f"--provider-seed={tmp_path / 'p.nk'}"]))
    assert hd.invocation_seed == cluster.seed
    assert hd.cluster_issuers == (cluster.public_key,)


def test_a_cluster_seed_file_is_read(tmp_path: Path) -> None:
    cluster = keys.KeyPair.create(keys.KeyType.CLUSTER)
    (tmp_path / "c.nk").write_text(cluster.seed + "\n")
    argv = ["--manual", f"--cluster-seed={tmp_path / 'c.nk'}", f"--provider-seed={tmp_path / 'p.nk'}"]
    assert manual_host_data(Unsigned, parser("p").parse_args(argv)).invocation_seed == cluster.seed
