"""HostConfig: the env table matches the dataclass, parsing and validation, the docs, the CLI flags."""

from __future__ import annotations

import argparse
from dataclasses import fields
from pathlib import Path

import pytest

from host.cli import host_cmd
from host.config import (
    ENV_VARS,
    ConfigError,
    HostConfig,
    builtin_labels,
    field_defaults,
    from_env,
    render_markdown,
)
from lattice import keys
from lattice.settings import CONNECTION_VARS, ConnectionSettings

REPO = Path(__file__).resolve().parents[3]
REQUIRED_VARS = {
    "WASMCLOUD_LATTICE_PREFIX",
    "WASMCLOUD_HOST_SEED",
    "WASMCLOUD_CLUSTER_SEED",
    "WASMCLOUD_CLUSTER_ISSUERS",
    "WASMCLOUD_RPC_HOST",
    "WASMCLOUD_RPC_PORT",
    "WASMCLOUD_RPC_SEED",
    "WASMCLOUD_RPC_JWT",
    "WASMCLOUD_RPC_CREDSFILE",
    "WASMCLOUD_RPC_TLS",
    "WASMCLOUD_CTL_HOST",
    "WASMCLOUD_CTL_PORT",
    "WASMCLOUD_CTL_SEED",
    "WASMCLOUD_CTL_JWT",
    "WASMCLOUD_CTL_CREDSFILE",
    "WASMCLOUD_CTL_TLS",
    "WASMCLOUD_PROV_RPC_HOST",
    "WASMCLOUD_PROV_RPC_PORT",
    "WASMCLOUD_RPC_TIMEOUT_MS",
    "WASMCLOUD_ALLOW_FILE_LOAD",
    "WASMCLOUD_JS_DOMAIN",
    "WASMCLOUD_POLICY_TOPIC",
    "WASMCLOUD_POLICY_TIMEOUT",
    "WASMCLOUD_POLICY_CHANGES_TOPIC",
    "WASMCLOUD_CTL_TOPIC_PREFIX",
    "HOST_*",
}


def test_every_field_has_exactly_one_variable() -> None:
    declared = [var.field for var in ENV_VARS]
    assert sorted(declared) == sorted(f.name for f in fields(HostConfig))


def test_table_defaults_equal_dataclass_defaults() -> None:
    defaults = field_defaults()
    mismatched = {v.name: (v.default, defaults[v.field]) for v in ENV_VARS if v.default != defaults[v.field]}
    assert mismatched == {}


def test_variable_names_are_unique_and_cover_the_protocol() -> None:
    names = [var.name for var in ENV_VARS]
    assert len(names) == len(set(names))
    assert set(names) >= REQUIRED_VARS


def test_the_shared_variables_are_lattice_settings_declared_once() -> None:
    """The CLI's connection variables are the very table entries the host reads: one declaration, in lattice/."""
    in_table = {id(var) for var in ENV_VARS}
    assert all(id(var) in in_table for var in CONNECTION_VARS)
    host_defaults = field_defaults()
    assert {f.name: f.default for f in fields(ConnectionSettings)} == {
        var.field: host_defaults[var.field] for var in CONNECTION_VARS
    }


def test_docs_embed_the_generated_table() -> None:
    doc = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    start, end = "<!-- BEGIN ENV TABLE -->\n", "<!-- END ENV TABLE -->"
    assert doc[doc.index(start) + len(start) : doc.index(end)] == render_markdown()


def test_empty_environment_gives_defaults() -> None:
    config = from_env({})
    assert config == HostConfig()
    assert config.lattice == "default"
    assert config.rpc_timeout_ms == 2000
    assert config.allow_file_load is False


def test_values_are_parsed_by_type() -> None:
    cluster = keys.KeyPair.create(keys.KeyType.CLUSTER)
    config = from_env(
        {
            "WASMCLOUD_LATTICE_PREFIX": "blue",
            "WASMCLOUD_RPC_PORT": "4333",
            "WASMCLOUD_ALLOW_FILE_LOAD": "yes",
            "WASMCLOUD_CLUSTER_ISSUERS": f" {cluster.public_key} ,",
            "WASMCLOUD_CLUSTER_SEED": cluster.seed,
            "WASMLATTICE_HEARTBEAT_INTERVAL_S": "0.5",
            "HOST_REGION": "eu-west",
            "HOST_": "ignored",
        }
    )
    assert (config.lattice, config.rpc_port, config.allow_file_load) == ("blue", 4333, True)
    assert config.cluster_issuers == (cluster.public_key,)
    assert config.heartbeat_interval_s == 0.5
    assert config.labels == {"region": "eu-west"}


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"WASMCLOUD_RPC_PORT": "many"}, "WASMCLOUD_RPC_PORT='many'"),
        ({"WASMCLOUD_RPC_PORT": "70000"}, "rpc_port 70000"),
        ({"WASMCLOUD_ALLOW_FILE_LOAD": "perhaps"}, "WASMCLOUD_ALLOW_FILE_LOAD"),
        ({"WASMCLOUD_LATTICE_PREFIX": "a.b"}, "lattice"),
        ({"WASMCLOUD_RPC_TIMEOUT_MS": "0"}, "rpc_timeout_ms must be positive"),
        ({"WASMCLOUD_CLUSTER_ISSUERS": "CNOTAKEY"}, "cluster_issuers"),
        ({"WASMCLOUD_CTL_TOPIC_PREFIX": "bad..prefix"}, "ctl_topic_prefix"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment.replace(".", r"\.")):
        from_env(env)


def test_seed_of_the_wrong_kind_is_refused_without_echoing_it() -> None:
    account_seed = keys.KeyPair.create(keys.KeyType.ACCOUNT).seed
    with pytest.raises(ConfigError) as info:
        from_env({"WASMCLOUD_CLUSTER_SEED": account_seed})
    assert account_seed not in str(info.value)
    assert "cluster_seed" in str(info.value)


def test_builtin_labels_use_rust_names() -> None:
    labels = builtin_labels()
    assert set(labels) == {"hostcore.arch", "hostcore.os", "hostcore.osfamily"}
    assert labels["hostcore.osfamily"] in ("unix", "windows")


def test_nats_url_sets_every_connection() -> None:
    config = HostConfig().with_nats_url("nats://10.0.0.5:4300")
    for opts in (config.rpc_nats(), config.ctl_nats(), config.prov_nats()):
        assert opts.url == "nats://10.0.0.5:4300"
    assert config.rpc_nats() == config.ctl_nats()
    with pytest.raises(ConfigError):
        HostConfig().with_nats_url("http://nope")


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    host_cmd.register(sub)
    return parser.parse_args(["host", *argv])


def test_cli_flags_override_the_environment() -> None:
    cluster = keys.KeyPair.create(keys.KeyType.CLUSTER)
    extra = keys.KeyPair.create(keys.KeyType.CLUSTER).public_key
    args = _args(
        "--nats-url", "nats://127.0.0.1:5222",
        "--lattice", "green",
        "--cluster-seed", cluster.seed,
        "--cluster-issuers", extra,
        "--allow-file-load",
        "--label", "zone=a",
        "--label", "tier=gold",
        "--rpc-timeout-ms", "750",
        "--json",
    )  # fmt: skip
    config = host_cmd.config_from_args(args, {"WASMCLOUD_LATTICE_PREFIX": "red", "HOST_ZONE": "b"})
    assert config.lattice == "green"
    assert config.rpc_port == config.ctl_port == config.prov_rpc_port == 5222
    assert config.cluster_seed == cluster.seed
    assert config.cluster_issuers == (extra,)
    assert config.allow_file_load is True
    assert config.labels == {"zone": "a", "tier": "gold"}
    assert config.rpc_timeout_ms == 750


def test_cli_refuses_a_label_without_equals() -> None:
    with pytest.raises(host_cmd.CliError, match="key=value"):
        host_cmd.config_from_args(_args("--label", "nope"), {})
