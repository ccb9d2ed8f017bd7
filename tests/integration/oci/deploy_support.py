"""Helpers of the deploy-across-machines tests: host processes (``python -m host``) with their own state
directories, no file loading and labels to aim at; the ``lattice`` CLI as a subprocess; a Python provider packed
as an archive from a source tree that is deleted once packed."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lattice import keys
from lattice.claims import ProviderMetadata
from lattice.control import ControlClient
from lattice.provider.par import create_par
from lattice.provider.pypar import pack_python
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[3]
LATTICE_CLI = [sys.executable, "-m", "lattice.cli.main"]
HOST_READY_S = 30.0
CLI_TIMEOUT_S = 120.0
STOP_WAIT_S = 15.0
PARROT_CONTRACT = "example:parrot"
PARROT_SOURCE = """
import os
import sys

from lattice.provider import Provider, operation, run


class Parrot(Provider):
    contract_id = "example:parrot"

    @operation("Parrot.Say")
    async def say(self, actor_id: str, payload: str) -> str:
        leaked = sorted(k for k in os.environ if "PASSWORD" in k)
        isolated = all("site-packages" not in p or p.startswith(sys.prefix) for p in sys.path)
        return f"{self.link_values(actor_id).get('prefix', '')}{payload} (isolated={isolated}, leaked={leaked})"


if __name__ == "__main__":
    run(Parrot)
"""


@dataclass
class HostProcess:
    """``python -m host`` in its own session and state directory; stopped with SIGTERM (gracefully)."""

    nats_url: str
    lattice: str
    cluster: keys.KeyPair
    state_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    key: keys.KeyPair = field(default_factory=lambda: keys.KeyPair.create(keys.KeyType.SERVER))
    proc: subprocess.Popen[bytes] | None = None

    @property
    def host_id(self) -> str:
        return self.key.public_key

    @property
    def log_path(self) -> Path:
        return self.state_dir.parent / f"{self.state_dir.name}.log"

    def start(self) -> None:
        argv = [sys.executable, "-m", "host", "--nats-url", self.nats_url, "--lattice", self.lattice]
        argv += ["--host-seed", self.key.seed, "--cluster-seed", self.cluster.seed, "--state-dir", str(self.state_dir)]
        argv += [arg for k, v in self.labels.items() for arg in ("--label", f"{k}={v}")]
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                argv,
                cwd=self.state_dir,
                env={**os.environ, **self.env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )

    async def wait_ready(self, ctl: ControlClient) -> None:
        async def answers() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"host exited with {self.proc.returncode}:\n{self.log_tail()}")
            return any(h.id == self.host_id for h in await ctl.ping_hosts(timeout_s=0.3))

        await wait_until(answers, HOST_READY_S, f"host {self.host_id[:8]} to answer pings", poll_s=0.1)

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


async def lattice_cli(nats_url: str, lattice: str, *args: str, cwd: Path | None = None) -> tuple[int, Any, str]:
    """Run ``lattice ARGS --json`` against the lattice: exit code, parsed JSON output (or None), stderr."""
    proc = await asyncio.create_subprocess_exec(
        *LATTICE_CLI,
        *args,
        "--json",
        "--nats-url",
        nats_url,
        "--lattice",
        lattice,
        cwd=cwd or ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), CLI_TIMEOUT_S)
    text = out.decode()
    return proc.returncode or 0, json.loads(text) if text.strip() else None, err.decode()


def parrot_par(workdir: Path) -> tuple[bytes, str]:
    """A signed archive of a Python provider whose source lived only in ``workdir`` (deleted once packed)."""
    src = workdir / "parrot-src"
    (src / "parrot_provider").mkdir(parents=True)
    (src / "parrot_provider" / "__init__.py").write_text('"""A parrot."""\n', encoding="utf-8")
    (src / "parrot_provider" / "__main__.py").write_text(PARROT_SOURCE, encoding="utf-8")
    payload = pack_python("parrot_provider", path=[str(src)])
    shutil.rmtree(src)
    issuer = keys.KeyPair.create(keys.KeyType.ACCOUNT)
    provider = keys.KeyPair.create(keys.KeyType.SERVICE)
    meta = ProviderMetadata(name="Parrot", capid=PARROT_CONTRACT, vendor="tests", rev=1, ver="0.1.0")
    return create_par({payload.target: payload.data}, issuer, provider.public_key, meta), provider.public_key
