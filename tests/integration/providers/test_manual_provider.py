"""A provider run by hand: one key across restarts, its links back after a restart, in the inventory, callable."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.cli_host import WAIT_S, LatticeUnderTest, actor, running_host

GREETER = Path(__file__).with_name("greeter_provider.py")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lattice(nats_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LatticeUnderTest]:
    with running_host(nats_url, tmp_path_factory.mktemp("manual-host"), "manual") as under_test:
        yield under_test


@pytest.fixture
def run_greeter(lattice: LatticeUnderTest, tmp_path: Path) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        argv = [sys.executable, str(GREETER), "--manual", "--nats-url", lattice.url, "--lattice", lattice.prefix]
        argv += ["--cluster-seed", lattice.cluster.seed, "--provider-seed", str(tmp_path / "greeter.nk")]
        with (tmp_path / f"greeter-{len(started)}.log").open("wb") as log:  # the child keeps its own descriptor
            started.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT))
        return started[-1]

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)


def manual_providers(lattice: LatticeUnderTest) -> list[dict[str, object]]:
    found = lattice.cli("ctl", "get", "inventory", "--json").json()
    return [p for entry in found if entry.get("manual") for p in entry["providers"]]


def test_a_provider_run_by_hand_is_listed_linked_called_and_keeps_its_links(
    lattice: LatticeUnderTest, run_greeter: Callable[[], subprocess.Popen[bytes]]
) -> None:
    ref, actor_id = actor("echo")
    lattice.cli("ctl", "start", "actor", ref, "--host", lattice.host_id, "--wait", WAIT_S)
    first = run_greeter()
    lattice.until("the greeter answers the providers ping", lambda: len(manual_providers(lattice)) == 1)
    [listed] = manual_providers(lattice)
    key = str(listed["id"])
    assert listed["contract_id"] == "example:greeter"
    linked = lattice.cli("ctl", "link", "put", "echo", key, "example:greeter", "greeting=Howdy")
    assert linked.out.startswith("linked:")
    seed = ["--cluster-seed", lattice.cluster.seed]
    assert lattice.cli("call", key, "Greeter.Greet", '"World"', "--as", actor_id, *seed).json() == "Howdy, World!"

    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=20) == 0
    run_greeter()
    lattice.until("the restarted greeter answers", lambda: len(manual_providers(lattice)) == 1)
    [again] = manual_providers(lattice)
    assert again["id"] == key, "the same key after a restart"
    assert again["links"] == [{"actor_id": actor_id, "state": "linked"}], "its stored link is served again"
    assert lattice.cli("call", "Greeter", "Greeter.Greet", '"again"', *seed).json() == "Howdy, again!"
    lattice.cli("ctl", "link", "del", actor_id, "example:greeter")
    lattice.cli("ctl", "stop", "actor", lattice.host_id, actor_id)
