"""Where HostData comes from (stdin line, --host-data, --manual flags) and the NATS options it implies."""

from __future__ import annotations

import io
from pathlib import Path

import msgspec
import pytest

from lattice import keys
from lattice.provider import Provider, ProviderConfigError
from lattice.provider import hostdata as hd_mod
from lattice.provider.cli import FLAGS, load_host_data, manual_host_data, parser
from lattice.provider.runner import shutdown_host_id
from lattice.wire import HostData

CLUSTER = keys.KeyPair.create(keys.KeyType.CLUSTER)
PROVIDER = keys.KeyPair.create(keys.KeyType.SERVICE).public_key


class Echo(Provider):
    contract_id = "test:echo"


def host_data(**changes: object) -> HostData:
    base = HostData("Nhost", "lat", "default", PROVIDER, CLUSTER.seed, cluster_issuers=(CLUSTER.public_key,))
    return msgspec.structs.replace(base, **changes)


def test_decode_reads_one_line_and_names_the_source_on_failure() -> None:
    assert hd_mod.decode(host_data().encode_line(), "stdin") == host_data()
    with pytest.raises(ProviderConfigError, match="no host data from stdin"):
        hd_mod.decode(b"\n", "stdin")
    with pytest.raises(ProviderConfigError, match="host data from --host-data is unusable"):
        hd_mod.decode("bm90IGpzb24=", "--host-data")


def test_read_line_times_out_instead_of_hanging() -> None:
    class Silent(io.RawIOBase):
        def readline(self, size: int | None = -1) -> bytes:
            import time

            time.sleep(1)
            return b""

    with pytest.raises(ProviderConfigError, match=r"no host data on stdin after 0\.1s"):
        hd_mod.read_line(Silent(), timeout_s=0.1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "tls", "expected"),
    [
        ("127.0.0.1:4222", False, "nats://127.0.0.1:4222"),
        ("127.0.0.1:4222", True, "tls://127.0.0.1:4222"),
        ("nats://h:1,nats://h:2", False, "nats://h:1"),
        ("tls://h:1", False, "tls://h:1"),
    ],
)
def test_nats_url_from_host_data(url: str, tls: bool, expected: str) -> None:
    assert hd_mod.nats_url(host_data(lattice_rpc_url=url, lattice_rpc_tls=tls)) == expected


def test_nats_options_carry_credentials_and_tls(tmp_path: Path) -> None:
    user = keys.KeyPair.create(keys.KeyType.USER)
    opts = hd_mod.nats_options(host_data(lattice_rpc_user_seed=user.seed, lattice_rpc_tls_ca=str(tmp_path)), "p")
    assert opts.seed == user.seed
    assert opts.tls_ca == tmp_path
    assert opts.uses_tls
    with pytest.raises(ProviderConfigError, match="unusable NATS settings"):
        hd_mod.nats_options(host_data(lattice_rpc_user_jwt="eyJ"), "p")


def test_manual_mode_builds_host_data_from_flags() -> None:
    args = parser("p").parse_args(
        [
            "--manual",
            "--nats-url=nats://127.0.0.1:1",
            "--lattice=lab",
            f"--cluster-seed={CLUSTER.seed}",
            f"--provider-key={PROVIDER}",
            "--link-name=blue",
            '--link={"actor_id": "Mabc", "values": {"PORT": "8080"}}',
        ]
    )
    hd = manual_host_data(Echo, args)
    assert (hd.lattice_rpc_prefix, hd.link_name, hd.provider_key) == ("lab", "blue", PROVIDER)
    assert hd.cluster_issuers == (CLUSTER.public_key,)
    assert hd.invocation_seed == CLUSTER.seed
    (link,) = hd.link_definitions
    assert (link.actor_id, link.provider_id, link.contract_id, link.link_name) == (
        "Mabc",
        PROVIDER,
        "test:echo",
        "blue",
    )
    assert dict(link.values) == {"PORT": "8080"}


def test_manual_mode_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASMCLOUD_LATTICE_PREFIX", "from-env")
    monkeypatch.setenv("WASMCLOUD_CLUSTER_SEED", CLUSTER.seed)
    hd = manual_host_data(Echo, parser("p").parse_args(["--manual", f"--provider-key={PROVIDER}"]))
    assert hd.lattice_rpc_prefix == "from-env"
    assert hd.invocation_seed == CLUSTER.seed


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--manual", "--provider-key=Vnope"], "is not a V… service key"),
        (["--manual", "--cluster-seed=SCbad"], "bad --cluster-seed"),
        (["--manual", f"--provider-key={PROVIDER}", "--link=[1]"], "must be a JSON object"),
        (["--manual", f"--provider-key={PROVIDER}", "--link={}"], r"--link\.actor_id is required"),
    ],
)
def test_manual_mode_errors(argv: list[str], message: str) -> None:
    with pytest.raises(ProviderConfigError, match=message):
        manual_host_data(Echo, parser("p").parse_args(argv))


def test_host_data_flag_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WASMCLOUD_HOST_DATA", raising=False)
    line = host_data().encode_line().decode().strip()
    loaded, from_host = load_host_data(Echo, parser("p").parse_args([f"--host-data={line}"]))
    assert loaded == host_data()
    assert from_host is False


def test_every_flag_and_environment_variable_is_declared_once() -> None:
    names = [f.name for f in FLAGS]
    envs = [f.env for f in FLAGS if f.env]
    assert len(set(names)) == len(names)
    assert len(set(envs)) == len(envs)
    help_text = parser("p").format_help()
    for flag in FLAGS:
        assert f"--{flag.name}" in help_text
        if flag.env:
            assert flag.env in help_text


@pytest.mark.parametrize(
    ("body", "expected"),
    [(b'{"host_id": "Nx"}', "Nx"), (b"", ""), (b"{}", ""), (b"{bad", None), (b'{"host_id": 5}', None), (b"[]", None)],
)
def test_shutdown_body(body: bytes, expected: str | None) -> None:
    assert shutdown_host_id(body) == expected
