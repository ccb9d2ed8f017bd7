"""The CLI against a real host: ``lattice host`` in a subprocess on the session's nats-server, driven through every
``lattice ctl`` command (text and ``--json``), ``lattice call`` and ``lattice events``, each as a subprocess.

One host serves the module (its own lattice prefix); each test starts what it needs and stops it again, so the
tests do not depend on their order. ``stop host`` gets a host of its own.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from lattice import keys
from lattice.cli import output
from tests.support.cli_host import (
    ACCOUNT_SEED,
    CLI_TIMEOUT_S,
    EXAMPLES,
    HOST_EXIT_S,
    LATTICE_BIN,
    WAIT_S,
    LatticeUnderTest,
    actor,
    running_host,
    start_host,
    stop_process,
)

pytestmark = pytest.mark.slow  # subprocess host and CLI runs: about 40 s for the module


@pytest.fixture(scope="module")
def lattice(nats_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LatticeUnderTest]:
    with running_host(nats_url, tmp_path_factory.mktemp("cli-host")) as under_test:
        yield under_test


# --- queries and labels -----------------------------------------------------------------------------------------------


def test_get_hosts_text_and_json(lattice: LatticeUnderTest) -> None:
    text = lattice.cli("ctl", "get", "hosts").out
    assert lattice.host_id in text
    assert "zone=east" in text
    [host] = lattice.cli("ctl", "get", "hosts", "--json").json()
    assert (host["id"], host["labels"]["zone"], host["lattice_prefix"]) == (lattice.host_id, "east", lattice.prefix)


def test_get_hosts_on_an_empty_lattice_says_to_start_one(lattice: LatticeUnderTest) -> None:
    empty = LatticeUnderTest(lattice.url, "empty" + secrets.token_hex(4), lattice.cluster)
    result = empty.cli("ctl", "get", "hosts", expect=output.EXIT_FAILURE)
    assert "no host answered" in result.err
    assert "lattice up" in result.err


def test_label_put_and_del(lattice: LatticeUnderTest) -> None:
    assert "set label tier=gold" in lattice.cli("ctl", "label", "put", lattice.host_id, "tier=gold").out
    assert lattice.cli("ctl", "get", "hosts", "--json").json()[0]["labels"]["tier"] == "gold"
    done = lattice.cli("ctl", "label", "del", lattice.host_id[:10], "tier", "--json").json()
    assert done == {"accepted": True, "host_id": lattice.host_id, "key": "tier"}
    assert "tier" not in lattice.cli("ctl", "get", "hosts", "--json").json()[0]["labels"]
    refused = lattice.cli("ctl", "label", "del", lattice.host_id, "tier", expect=output.EXIT_FAILURE)
    assert "no label 'tier'" in refused.err


def test_link_put_query_del(lattice: LatticeUnderTest) -> None:
    _, actor_id = actor("kvcounter")
    provider_id = keys.KeyPair.create(keys.KeyType.SERVICE).public_key
    link = ["ctl", "link", "put", actor_id, provider_id, "wasmcloud:keyvalue", "url=redis://x"]
    put = lattice.cli(*link, "--force", "--json")  # neither end ran yet: --force links them ahead
    assert put.json()["link"]["values"] == {"url": "redis://x"}
    lattice.until("the link is listed", lambda: len(lattice.cli("ctl", "link", "query", "--json").json()) == 1)
    assert provider_id in lattice.cli("ctl", "get", "links").out
    assert "removed the link" in lattice.cli("ctl", "link", "del", actor_id, "wasmcloud:keyvalue").out
    lattice.until("the link is gone", lambda: lattice.cli("ctl", "get", "links", "--json").json() == [])


# --- actors -----------------------------------------------------------------------------------------------------------


def test_start_by_auction_inventory_claims_and_stop(lattice: LatticeUnderTest) -> None:
    ref, actor_id = actor("echo")
    started = lattice.cli("ctl", "start", "actor", ref, "--constraint", "zone=east", "--count", "2", "--wait", WAIT_S)
    assert f"started 2 instance(s) of {ref} on host {lattice.host_id}" in started.out
    assert "auctioning" in started.err
    assert "actor_started" in started.err
    assert lattice.instances(actor_id) == 2
    assert "Echo" in lattice.cli("ctl", "get", "inventory", lattice.host_id).out
    claims = lattice.cli("ctl", "get", "claims", "--json").json()["claims"]
    assert any(c["sub"] == actor_id and c["name"] == "Echo" for c in claims)
    assert actor_id in lattice.cli("ctl", "get", "claims").out
    stopped = lattice.cli("ctl", "stop", "actor", lattice.host_id, actor_id, "--wait", WAIT_S, "--json").json()
    assert stopped["accepted"] is True
    assert stopped["events"][0]["data"]["public_key"] == actor_id
    assert lattice.instances(actor_id) == 0


def test_start_with_unmatched_constraint_finds_no_host(lattice: LatticeUnderTest) -> None:
    ref, _ = actor("echo")
    result = lattice.cli("ctl", "start", "actor", ref, "--constraint", "zone=mars", expect=output.EXIT_FAILURE)
    assert "no host on lattice" in result.err


def test_start_failure_is_reported(lattice: LatticeUnderTest, tmp_path: Path) -> None:
    missing = (tmp_path / "missing.wasm").as_uri()
    result = lattice.cli("ctl", "start", "actor", missing, "--host", lattice.host_id, "--wait", WAIT_S, expect=1)
    assert "missing.wasm" in result.err


def test_scale_up_and_down(lattice: LatticeUnderTest) -> None:
    ref, actor_id = actor("kvcounter")
    assert "scaled" in lattice.cli("ctl", "scale", "actor", lattice.host_id, ref, "--count", "3").out
    assert lattice.instances(actor_id) == 3
    down = lattice.cli("ctl", "scale", "actor", lattice.host_id, ref, "--count", "1", "--json").json()
    assert (down["accepted"], down["count"]) == (True, 1)
    assert lattice.instances(actor_id) == 1
    lattice.cli("ctl", "scale", "actor", lattice.host_id, ref, "--count", "0", "--actor-id", actor_id)
    assert lattice.instances(actor_id) == 0


def test_live_update_to_a_higher_revision(lattice: LatticeUnderTest, tmp_path: Path) -> None:
    ref, actor_id = actor("uppercase")
    newer = tmp_path / "uppercase_rev9.wasm"
    sign = ["claims", "sign", str(EXAMPLES / "uppercase" / "uppercase.wasm"), "--issuer", str(ACCOUNT_SEED)]
    sign += ["--subject", str(EXAMPLES / "uppercase" / "module.nk"), "--name", "Uppercase"]
    sign += ["--cap", "wasmcloud:messaging", "--rev", "9", "--ver", "0.9.0", "-o", str(newer)]
    subprocess.run([str(LATTICE_BIN), *sign], check=True, capture_output=True, timeout=CLI_TIMEOUT_S)
    lattice.cli("ctl", "start", "actor", ref, "--host", lattice.host_id, "--wait", WAIT_S)
    updated = lattice.cli("ctl", "update", "actor", lattice.host_id, actor_id, newer.as_uri(), "--wait", WAIT_S)
    assert f"updated {actor_id}" in updated.out
    [described] = [a for a in lattice.inventory()["actors"] if a["id"] == actor_id]
    assert {i["revision"] for i in described["instances"]} == {9}
    older = lattice.cli("ctl", "update", "actor", lattice.host_id, actor_id, ref, "--wait", WAIT_S, expect=1)
    assert "could not carry out" in older.err
    lattice.cli("ctl", "stop", "actor", lattice.host_id, actor_id, "--wait", WAIT_S)


def test_call_an_actor_by_alias_and_by_key(lattice: LatticeUnderTest) -> None:
    ref, actor_id = actor("ponger")
    lattice.cli("ctl", "start", "actor", ref, "--host", lattice.host_id, "--wait", WAIT_S)
    seed = ["--cluster-seed", lattice.cluster.seed]
    assert lattice.cli("call", "ponger", "Pingpong.Ping", *seed).json() == "pong from ponger"
    by_key = lattice.cli("call", actor_id, "Pingpong.Ping", *seed, "--json").json()
    assert by_key == {"actor_id": actor_id, "operation": "Pingpong.Ping", "result": "pong from ponger"}
    stranger = keys.KeyPair.create(keys.KeyType.CLUSTER).seed  # a cluster key the host does not trust
    refused = lattice.cli("call", actor_id, "Pingpong.Ping", "--cluster-seed", stranger, expect=output.EXIT_FAILURE)
    assert "Pingpong.Ping" in refused.err
    bad = lattice.cli("call", actor_id, "Pingpong.Ping", "{oops", *seed, expect=output.EXIT_USAGE)
    assert "not valid JSON" in bad.err
    unknown = lattice.cli("ctl", "stop", "actor", lattice.host_id, "acme/nothing:1.0", expect=output.EXIT_FAILURE)
    assert "runs no actor from 'acme/nothing:1.0'" in unknown.err
    stopped = lattice.cli("ctl", "stop", "actor", lattice.host_id, ref, "--wait", WAIT_S)  # by its image ref
    assert f"stopped all instances of {actor_id}" in stopped.out


def test_events_tail_sees_an_actor_start(lattice: LatticeUnderTest) -> None:
    ref, actor_id = actor("logger")
    argv = [str(LATTICE_BIN), "events", "--filter", "actor_started", "--count", "1", "--json", "--for", WAIT_S]
    tail = subprocess.Popen([*argv, *lattice.flags()], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert tail.stderr is not None
        assert b"listening for events" in tail.stderr.readline()
        lattice.cli("ctl", "start", "actor", ref, "--host", lattice.host_id)
        out, _ = tail.communicate(timeout=CLI_TIMEOUT_S)
    finally:
        stop_process(tail)
    event = json.loads(out)
    assert (event["type"], event["data"]["public_key"]) == ("com.wasmcloud.lattice.actor_started", actor_id)
    lattice.cli("ctl", "stop", "actor", lattice.host_id, actor_id, "--wait", WAIT_S)


def test_events_rpc_shows_what_a_host_served(lattice: LatticeUnderTest) -> None:
    ref, actor_id = actor("ponger")
    lattice.cli("ctl", "start", "actor", ref, "--host", lattice.host_id, "--wait", WAIT_S)
    argv = [str(LATTICE_BIN), "events", "--rpc", "--filter", "invocation_counts", "--count", "1", "--for", WAIT_S]
    tail = subprocess.Popen([*argv, "--json", *lattice.flags()], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert tail.stderr is not None
        assert b"listening for events" in tail.stderr.readline()
        for _ in range(3):
            lattice.cli("call", actor_id, "Pingpong.Ping", "--cluster-seed", lattice.cluster.seed)
        out, _ = tail.communicate(timeout=CLI_TIMEOUT_S)
    finally:
        stop_process(tail)
    event = json.loads(out)
    assert (event["type"], event["source"]) == ("com.wasmcloud.lattice.invocation_counts", lattice.host_id)
    [row] = [r for r in event["data"]["counts"] if r["dest"]["public_key"] == actor_id]
    assert (row["operation"], row["failed"]) == ("Pingpong.Ping", 0)
    assert 1 <= row["succeeded"] <= 3  # the calls may straddle two summaries
    lattice.cli("ctl", "stop", "actor", lattice.host_id, actor_id, "--wait", WAIT_S)


# --- providers --------------------------------------------------------------------------------------------------------


def test_provider_start_by_auction_refuse_twice_and_stop(lattice: LatticeUnderTest) -> None:
    ref, link = "python:wasmlattice_httpserver", "cli"
    started = lattice.cli("ctl", "start", "provider", ref, "--link-name", link, "--constraint", "zone=east", "--wait")
    assert f"started provider {ref} (link name {link}) on host {lattice.host_id}" in started.out
    assert "provider_started" in started.err
    [provider] = [p for p in lattice.inventory()["providers"] if p["link_name"] == link]
    assert provider["contract_id"] == "wasmcloud:httpserver"
    assert provider["id"] in lattice.cli("ctl", "get", "inventory").out
    no_taker = lattice.cli("ctl", "start", "provider", ref, "--link-name", link, expect=output.EXIT_FAILURE)
    assert "already runs it" in no_taker.err
    twice = ["ctl", "start", "provider", ref, "--link-name", link, "--host", lattice.host_id]
    assert "already running" in lattice.cli(*twice, expect=output.EXIT_FAILURE).err
    stop = ["ctl", "stop", "provider", lattice.host_id, provider["id"], "--link-name", link, "--wait", WAIT_S]
    stopped = lattice.cli(*stop, "--json").json()
    assert stopped["events"][0]["type"] == "com.wasmcloud.lattice.provider_stopped"
    assert all(p["link_name"] != link for p in lattice.inventory()["providers"])


def test_unknown_host_is_reported(lattice: LatticeUnderTest) -> None:
    nobody = keys.KeyPair.create(keys.KeyType.SERVER).public_key
    result = lattice.cli("ctl", "stop", "actor", nobody, actor("echo")[1], expect=output.EXIT_FAILURE)
    assert "does not answer" in result.err


def test_unreachable_nats(lattice: LatticeUnderTest) -> None:
    gone = LatticeUnderTest("nats://127.0.0.1:1", lattice.prefix, lattice.cluster)
    result = gone.cli("ctl", "get", "hosts", expect=output.EXIT_UNREACHABLE)
    assert "could not reach NATS at nats://127.0.0.1:1" in result.err


# --- stop host (its own host) -----------------------------------------------------------------------------------------


def test_stop_host_waits_for_host_stopped(nats_url: str, tmp_path: Path) -> None:
    own = LatticeUnderTest(nats_url, "stop" + secrets.token_hex(4), keys.KeyPair.create(keys.KeyType.CLUSTER))
    process = start_host(own, tmp_path)
    try:
        result = own.cli("ctl", "stop", "host", own.host_id, "--wait", WAIT_S)
        assert result.out.startswith(f"stopped host {own.host_id}")
        assert "host_stopped" in result.err
        assert process.wait(HOST_EXIT_S) == 0
    finally:
        stop_process(process)
