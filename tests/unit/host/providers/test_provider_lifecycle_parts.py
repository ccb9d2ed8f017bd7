"""Small parts of the supervisor: restart backoff, exit descriptions, the child environment, HostData."""

from __future__ import annotations

import pytest

from host.providers.hostdata import HostDataNats, HostIdentity, build_host_data
from host.providers.process import child_env, describe_exit
from host.providers.timings import Backoff, SupervisorTimings
from lattice import keys
from lattice.wire import HostData, LinkDefinition


def test_backoff_doubles_up_to_the_maximum_and_resets_after_a_long_run() -> None:
    backoff = Backoff(SupervisorTimings(backoff_first_s=0.5, backoff_max_s=3.0, backoff_reset_after_s=60))
    assert [backoff.delay(1.0) for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert backoff.delay(61.0) == 0.5
    assert backoff.delay(1.0) == 1.0


@pytest.mark.parametrize(
    ("code", "text"),
    [(0, "exited normally"), (3, "exited with code 3"), (-9, "killed by SIGKILL"), (-200, "killed by signal 200")],
)
def test_describe_exit(code: int, text: str) -> None:
    assert describe_exit(code) == text


def test_child_env_drops_host_data_override() -> None:
    assert child_env({"PATH": "/bin", "WASMCLOUD_HOST_DATA": "x"}) == {"PATH": "/bin"}


def test_host_data_for_a_provider_round_trips_through_stdin_encoding() -> None:
    cluster = keys.KeyPair.create(keys.KeyType.CLUSTER)
    nats = HostDataNats(url="nats://127.0.0.1:4999", seed="SUx", tls=True, tls_ca="/ca.pem", creds_file="/u.creds")
    host = HostIdentity("Nhost", "lab", cluster.seed, (cluster.public_key,), 1500, nats, "hub", "debug")
    link = LinkDefinition("Mactor", "Vprov", "c:d", "default", {"k": "v"})
    hd = build_host_data(host, "Vprov", "default", "inst-1", [link], '{"x": 1}')
    again = HostData.decode_line(hd.encode_line())
    assert again == hd
    assert (again.lattice_rpc_url, again.lattice_rpc_user_seed, again.lattice_rpc_tls) == (nats.url, "SUx", True)
    assert (again.lattice_rpc_tls_ca, again.lattice_rpc_creds_file) == ("/ca.pem", "/u.creds")
    assert (again.invocation_seed, again.cluster_issuers, again.default_rpc_timeout_ms) == (
        cluster.seed,
        (cluster.public_key,),
        1500,
    )
    assert (again.js_domain, again.log_level, again.config_json, again.instance_id) == (
        "hub",
        "debug",
        '{"x": 1}',
        "inst-1",
    )
    assert again.link_definitions == (link,)
