"""Starting a 28 KB actor (actors-examples/echo) through a real host: from a file, cold from a registry, and from
the host's cache, in one run.

A host (in this process) on a real nats-server; the CNCF distribution registry on loopback; the lattice registry in
JetStream. Each sample is the time from the launch command to the ``actors_started`` event (then the actor is stopped,
untimed). Baseline: the same start from a ``file://`` ref. Cold = the host's artifact cache emptied first (the
manifest and the layer cross the network; the host's HTTP connection and compiled-module cache stay warm, as on a
host that ran the actor before); cached tag = one manifest request (one tag-record read); pinned = ``@sha256:`` with
the blob cached (no request). Medians of interleaved rounds, in ms.

Run: ``.venv/bin/python bench/oci_host_start.py [--rounds N]`` (needs ``docker-registry``: ``make registry-deps``)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from host.config import OCI_CACHE_DIR, HostConfig  # noqa: E402
from host.host import Host  # noqa: E402
from lattice import keys, subjects  # noqa: E402
from lattice.claims import read_claims  # noqa: E402
from lattice.natsconn import NatsOptions, connect  # noqa: E402
from lattice.natsserver import NatsServer, NatsServerConfig  # noqa: E402
from lattice.oci import ArtifactFetcher, OciSettings  # noqa: E402
from tests.integration.oci.registry_server import RegistryServer, find_binary  # noqa: E402

ACTOR = ROOT / "actors-examples" / "echo" / "echo.wasm"
LATTICE = "bench"
EVENT_TIMEOUT_S = 30.0


class Events:
    """``actors_started`` / ``actors_stopped`` events of the lattice, handed out in order."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def on_event(self, msg: Any) -> None:
        event = json.loads(msg.data)
        if event["type"].rsplit(".", 1)[-1] in ("actors_started", "actors_stopped", "actors_start_failed"):
            await self.queue.put(event)

    async def next(self, name: str) -> dict[str, Any]:
        event = await asyncio.wait_for(self.queue.get(), EVENT_TIMEOUT_S)
        kind = event["type"].rsplit(".", 1)[-1]
        if kind != name:
            raise RuntimeError(f"expected {name}, got {kind}: {event['data']}")
        return event


async def bench(rounds: int, scratch: Path, registry: RegistryServer, nats_url: str) -> dict[str, list[float]]:
    data = ACTOR.read_bytes()
    actor_id = read_claims(data).subject
    oci_ref = f"{registry.address}/bench/echo:0.1.0"
    nc = await connect(NatsOptions(url=nats_url))
    async with ArtifactFetcher(
        OciSettings(allowed_insecure=frozenset({registry.address})), nc=nc, lattice=LATTICE
    ) as push:
        oci_pinned = f"{registry.address}/bench/echo@{(await push.push(oci_ref, data)).manifest_digest}"
        lattice_pinned = f"lattice://echo@{(await push.push('lattice://echo:0.1.0', data)).digest}"
    config = HostConfig(
        lattice=LATTICE,
        cluster_seed=keys.KeyPair.create(keys.KeyType.CLUSTER).seed,
        allow_file_load=True,
        state_dir=scratch / "host",
        oci_allowed_insecure=(registry.address,),
        app_reconciler=False,
    ).with_nats_url(nats_url)
    events = Events()
    await nc.subscribe(subjects.events(LATTICE), cb=events.on_event)
    cache = config.state_dir / OCI_CACHE_DIR
    rows: dict[str, tuple[str, bool]] = {
        "file:// start (baseline)": (f"file://{ACTOR}", False),
        "oci cold pull + start": (oci_ref, True),
        "oci cached tag start": (oci_ref, False),
        "oci pinned cached start": (oci_pinned, False),
        "lattice cold pull + start": ("lattice://echo:0.1.0", True),
        "lattice cached tag start": ("lattice://echo:0.1.0", False),
        "lattice pinned cached start": (lattice_pinned, False),
    }
    results: dict[str, list[float]] = {name: [] for name in rows}
    async with Host(config) as host:

        async def start(ref: str) -> float:
            began = time.perf_counter()
            await host.commands.launch_actor(ref, 1, {})
            await events.next("actors_started")
            took = (time.perf_counter() - began) * 1000
            await host.commands.stop_actor(actor_id, 0, {})
            await events.next("actors_stopped")
            return took

        for ref, _ in rows.values():  # warm up: connections, compiled-module cache, the bucket
            await start(ref)
        for _ in range(rounds):
            for name, (ref, cold) in rows.items():
                if cold:
                    shutil.rmtree(cache, ignore_errors=True)
                results[name].append(await start(ref))
    await nc.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    if find_binary() is None:
        print("docker-registry is not installed (make registry-deps): skipped")
        return 0
    with tempfile.TemporaryDirectory(prefix="oci-host-bench-") as tmp:
        scratch = Path(tmp)
        with (
            RegistryServer(scratch / "registry") as registry,
            NatsServer(NatsServerConfig(store_dir=scratch / "nats")) as nats,
        ):
            results = asyncio.run(bench(args.rounds, scratch, registry, nats.url))
    baseline = statistics.median(next(iter(results.values())))
    print(f"{ACTOR.name}: {ACTOR.stat().st_size} bytes through a host, {args.rounds} rounds, median ms")
    for name, samples in results.items():
        median = statistics.median(samples)
        print(f"  {name:30s} {median:8.2f} ms   x{median / baseline:6.2f} baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
