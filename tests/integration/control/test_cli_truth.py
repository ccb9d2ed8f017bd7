"""`lattice ctl` says what happened: it waits for outcomes by default, normalises refs, checks what it links."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from lattice import keys
from lattice.cli import output
from tests.support.cli_host import EXAMPLES, LATTICE_BIN, WAIT_S, LatticeUnderTest, actor, running_host

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lattice(nats_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LatticeUnderTest]:
    with running_host(nats_url, tmp_path_factory.mktemp("truth-host"), "truth") as under_test:
        yield under_test


def in_folder(lattice: LatticeUnderTest, folder: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """The CLI run from ``folder`` (the host runs elsewhere), so relative paths mean something only here."""
    return subprocess.run(
        [str(LATTICE_BIN), *argv, *lattice.flags()],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=folder,
        check=False,
    )


def test_start_from_a_relative_path_waits_and_reports_started(lattice: LatticeUnderTest) -> None:
    ref, actor_id = actor("echo")
    done = in_folder(lattice, EXAMPLES / "echo", "ctl", "start", "actor", "./echo.wasm", "--host", lattice.host_id)
    assert done.returncode == 0, done.stderr
    assert f"started 1 instance(s) of {ref}" in done.stdout
    assert lattice.instances(actor_id) == 1, "waiting by default: it runs when the command returns"
    lattice.cli("ctl", "stop", "actor", lattice.host_id, actor_id)
    assert lattice.instances(actor_id) == 0


def test_a_missing_module_fails_with_exit_1(lattice: LatticeUnderTest) -> None:
    waited = lattice.cli("ctl", "start", "actor", "/nope.wasm", "--host", lattice.host_id, "--wait", "5", expect=1)
    assert "/nope.wasm" in waited.err
    by_default = lattice.cli("ctl", "start", "actor", "/nope.wasm", "--host", lattice.host_id, expect=1)
    assert "cannot read /nope.wasm" in by_default.err


def test_skip_wait_returns_on_the_ack(lattice: LatticeUnderTest) -> None:
    skipped = lattice.cli("ctl", "start", "actor", "/nope.wasm", "--host", lattice.host_id, "--skip-wait")
    assert "accepted: starting" in skipped.out


def test_scale_waits_for_the_instances(lattice: LatticeUnderTest) -> None:
    ref, actor_id = actor("kvcounter")
    up = lattice.cli("ctl", "scale", "actor", lattice.host_id, ref, "--count", "3")
    assert f"scaled {ref} to 3 instance(s)" in up.out
    assert lattice.instances(actor_id) == 3
    lattice.cli("ctl", "scale", "actor", lattice.host_id, ref, "--count", "1")
    assert lattice.instances(actor_id) == 1
    lattice.cli("ctl", "scale", "actor", lattice.host_id, ref, "--count", "0")
    assert lattice.instances(actor_id) == 0


def test_link_put_refuses_what_the_lattice_does_not_know(lattice: LatticeUnderTest) -> None:
    ref, actor_id = actor("pinger")
    lattice.cli("ctl", "start", "actor", ref, "--host", lattice.host_id, "--wait", WAIT_S)
    typo = keys.KeyPair.create(keys.KeyType.SERVICE).public_key
    refused = lattice.cli("ctl", "link", "put", actor_id, typo, "wasmcloud:httpserver", "port=1", expect=1)
    assert f"no provider with key, name or module {typo!r}" in refused.err
    assert lattice.cli("ctl", "get", "links", "--json").json() == [], "nothing stored"
    unknown_actor = lattice.cli("ctl", "link", "put", "nosuchactor", typo, "wasmcloud:httpserver", expect=1)
    assert "no actor with key, call alias or name 'nosuchactor'" in unknown_actor.err
    forced = lattice.cli("ctl", "link", "put", actor_id, typo, "wasmcloud:httpserver", "port=1", "--force", "--json")
    assert forced.json()["link"]["provider_id"] == typo
    lattice.cli("ctl", "link", "del", actor_id, "wasmcloud:httpserver")
    lattice.cli("ctl", "stop", "actor", lattice.host_id, actor_id)


def test_link_put_resolves_names(lattice: LatticeUnderTest) -> None:
    ref, actor_id = actor("ponger")
    lattice.cli("ctl", "start", "actor", ref, "--host", lattice.host_id)
    lattice.cli("ctl", "start", "provider", "python:wasmlattice_keyvalue", "--host", lattice.host_id)
    try:
        named = lattice.cli("ctl", "link", "put", "ponger", "wasmlattice_keyvalue", "wasmcloud:keyvalue", "--json")
        link = named.json()["link"]
        assert link["actor_id"] == actor_id
        assert link["provider_id"].startswith("V")
        wrong = lattice.cli("ctl", "link", "put", "ponger", "wasmlattice_keyvalue", "wasmcloud:httpserver", expect=1)
        assert "serves wasmcloud:keyvalue, not wasmcloud:httpserver" in wrong.err
    finally:
        lattice.cli("ctl", "link", "del", actor_id, "wasmcloud:keyvalue", expect=output.EXIT_OK)
        inventory = lattice.inventory()
        for provider in inventory["providers"]:
            lattice.cli("ctl", "stop", "provider", lattice.host_id, provider["id"])
        lattice.cli("ctl", "stop", "actor", lattice.host_id, actor_id)


def test_an_update_to_changed_code_with_the_same_revision_is_refused(lattice: LatticeUnderTest, tmp_path: Path) -> None:
    from lattice.claims import ActorSpec, read_claims, sign_module

    ref, actor_id = actor("uppercase")
    source = EXAMPLES / "uppercase" / "uppercase.wasm"
    rev = read_claims(source.read_bytes()).metadata.rev or 0
    rebuilt = tmp_path / "uppercase.wasm"
    account = keys.KeyPair.from_seed((EXAMPLES / "keys" / "account.nk").read_text())
    subject = keys.KeyPair.from_seed((EXAMPLES / "uppercase" / "module.nk").read_text())
    section = b"\x00\x09\x05build" + b"v2v"  # a custom section: other code, other hash
    spec = ActorSpec(name="Uppercase", caps=["wasmcloud:messaging"], rev=rev, ver="0.1.0")
    rebuilt.write_bytes(sign_module(source.read_bytes() + section, spec, account, subject)[0])
    lattice.cli("ctl", "start", "actor", ref, "--host", lattice.host_id)
    try:
        refused = lattice.cli("ctl", "update", "actor", lattice.host_id, actor_id, str(rebuilt), expect=1)
        assert f"keeps revision {rev}" in refused.err
        assert f"--rev {rev + 1}" in refused.err
    finally:
        lattice.cli("ctl", "stop", "actor", lattice.host_id, actor_id)
