"""ConnectionSettings: what a lattice client reads from the shared environment variables, validated."""

from __future__ import annotations

from pathlib import Path

import pytest

from lattice import keys
from lattice.settings import ConnectionSettings, SettingsError


def test_defaults_without_environment() -> None:
    found = ConnectionSettings.from_env({})
    assert (found.lattice, found.ctl_topic_prefix, found.rpc_timeout_ms) == ("default", "wasmbus.ctl", 2000)
    assert found.ctl_nats().url == "nats://127.0.0.1:4222"
    assert found.state_dir == Path("~/.wasmlattice/host").expanduser()


def test_values_are_parsed_and_tls_files_follow_tls(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    env = {
        "WASMCLOUD_CTL_HOST": "nats.example",
        "WASMCLOUD_CTL_PORT": "4333",
        "WASMCLOUD_CTL_TLS": "yes",
        "WASMLATTICE_TLS_CA_FILE": str(ca),
        "WASMLATTICE_STATE_DIR": str(tmp_path / "state"),
    }
    found = ConnectionSettings.from_env(env)
    options = found.ctl_nats()
    assert (options.url, options.tls_required, options.tls_ca) == ("tls://nats.example:4333", True, ca)
    assert found.state_dir == tmp_path / "state"


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"WASMCLOUD_CTL_PORT": "many"}, "WASMCLOUD_CTL_PORT='many'"),
        ({"WASMCLOUD_CTL_PORT": "0"}, "ctl_port 0"),
        ({"WASMCLOUD_LATTICE_PREFIX": "a.b"}, "lattice"),
        ({"WASMCLOUD_RPC_TIMEOUT_MS": "-5"}, "rpc_timeout_ms must be positive"),
        ({"WASMCLOUD_CTL_TOPIC_PREFIX": "bad..prefix"}, "ctl_topic_prefix"),
        ({"WASMCLOUD_CTL_TLS": "perhaps"}, "WASMCLOUD_CTL_TLS"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(SettingsError, match=fragment.replace(".", r"\.")):
        ConnectionSettings.from_env(env)


def test_a_bad_seed_is_refused_without_echoing_it() -> None:
    account_seed = keys.KeyPair.create(keys.KeyType.ACCOUNT).seed
    with pytest.raises(SettingsError) as info:
        ConnectionSettings.from_env({"WASMCLOUD_CLUSTER_SEED": account_seed})
    assert account_seed not in str(info.value)
    assert "cluster_seed" in str(info.value)
