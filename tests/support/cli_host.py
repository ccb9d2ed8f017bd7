"""A `lattice host` subprocess on the session's nats-server, and the `lattice` CLI run against it as a subprocess.

Shared by the suites that drive the real CLI (tests/integration/control, tests/integration/providers).
"""

from __future__ import annotations

import contextlib
import json
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lattice import keys
from lattice.cli import output
from tests.support.waiting import WaitTimeout, wait_until_blocking

LATTICE_BIN = Path(sys.executable).with_name("lattice")
EXAMPLES = Path(__file__).resolve().parents[2] / "actors-examples"
MANIFEST = json.loads((EXAMPLES / "manifest.json").read_text(encoding="utf-8"))
ACCOUNT_SEED = EXAMPLES / "keys" / "account.nk"
HOST_READY_S = 30.0
HOST_EXIT_S = 20.0
CLI_TIMEOUT_S = 60.0
POLL_S = 0.2
WAIT_S = "30"


def actor(name: str) -> tuple[str, str]:
    """(file:// ref, public key) of an example actor."""
    entry = MANIFEST["actors"][name]
    return (EXAMPLES / entry["wasm"]).as_uri(), entry["public_key"]


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class LatticeUnderTest:
    url: str
    prefix: str
    cluster: keys.KeyPair
    host_id: str = ""

    def flags(self) -> list[str]:
        return ["--nats-url", self.url, "-x", self.prefix, "--gather-timeout", "0.5"]

    def cli(self, *argv: str, expect: int = output.EXIT_OK) -> Result:
        done = subprocess.run(
            [str(LATTICE_BIN), *argv, *self.flags()],
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_S,
            check=False,
        )
        result = Result(done.returncode, done.stdout, done.stderr)
        assert result.code == expect, f"lattice {' '.join(argv)} exited {result.code}:\n{result.err}\n{result.out}"
        return result

    def inventory(self) -> dict[str, Any]:
        found: dict[str, Any] = self.cli("ctl", "get", "inventory", self.host_id, "--json").json()
        return found

    def instances(self, actor_id: str) -> int:
        return sum(len(a["instances"]) for a in self.inventory()["actors"] if a["id"] == actor_id)

    def until(self, what: str, condition: Any) -> None:
        wait_until_blocking(condition, HOST_READY_S, what, poll_s=POLL_S)


def start_host(lattice: LatticeUnderTest, state: Path) -> subprocess.Popen[bytes]:
    argv = [str(LATTICE_BIN), "host", "--nats-url", lattice.url, "--lattice", lattice.prefix, "--allow-file-load"]
    argv += ["--cluster-seed", lattice.cluster.seed, "--label", "zone=east", "--state-dir", str(state)]
    with (state / "host.log").open("wb") as log:  # the child keeps its own descriptor
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    with contextlib.suppress(WaitTimeout):  # a host that never answers is reported below, with its log
        wait_until_blocking(lambda: process.poll() is not None or answers(lattice), HOST_READY_S, "the host")
    if process.poll() is None and answers(lattice):
        lattice.host_id = lattice.cli("ctl", "get", "hosts", "--json").json()[0]["id"]
        return process
    stop_process(process)
    tail = (state / "host.log").read_text(errors="replace")[-3000:]
    raise RuntimeError(f"the host did not answer within {HOST_READY_S}s (exit {process.poll()}):\n{tail}")


def answers(lattice: LatticeUnderTest) -> bool:
    done = subprocess.run(
        [str(LATTICE_BIN), "ctl", "get", "hosts", *lattice.flags()],
        capture_output=True,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )
    return done.returncode == 0


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(HOST_EXIT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(HOST_EXIT_S)


@contextlib.contextmanager
def running_host(nats_url: str, state: Path, prefix: str = "cli") -> Iterator[LatticeUnderTest]:
    """A host on a lattice of its own (``prefix`` + random hex), stopped afterwards."""
    under_test = LatticeUnderTest(nats_url, prefix + secrets.token_hex(4), keys.KeyPair.create(keys.KeyType.CLUSTER))
    process = start_host(under_test, state)
    try:
        yield under_test
    finally:
        stop_process(process)
