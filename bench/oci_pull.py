"""Cold and cached pulls of a 28 KB signed actor (actors-examples/echo) from the real CNCF distribution registry
and from the lattice registry (JetStream object store), in one run.

Baseline: reading the same file from disk and hashing it (what a ``file://`` start costs before compiling).
Cold = a fresh cache and a fresh client (connection, manifest, blob); cached by tag = one manifest request (one tag
record read); pinned = ``@sha256:`` with the blob cached (no request). Medians of interleaved rounds, in ms.

Run: ``.venv/bin/python bench/oci_pull.py [--rounds N]`` (needs ``docker-registry``: ``make registry-deps``)
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lattice.natsconn import NatsOptions, connect  # noqa: E402
from lattice.natsserver import NatsServer, NatsServerConfig  # noqa: E402
from lattice.oci import ArtifactFetcher, ArtifactKind, LatticeRegistry, OciSettings  # noqa: E402
from tests.integration.oci.registry_server import RegistryServer, find_binary  # noqa: E402

ACTOR = ROOT / "actors-examples" / "echo" / "echo.wasm"


async def timed(fn: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await fn()
    return (time.perf_counter() - start) * 1000


async def bench(rounds: int, scratch: Path, registry: RegistryServer, nats_url: str) -> dict[str, list[float]]:
    data = ACTOR.read_bytes()
    ref = f"{registry.address}/bench/echo:0.1.0"
    base = OciSettings(allowed_insecure=frozenset({registry.address}))
    async with ArtifactFetcher(base) as fetcher:
        manifest = (await fetcher.push(ref, data)).manifest_digest
    nc = await connect(NatsOptions(url=nats_url))
    pushed = await LatticeRegistry(nc, "bench", base).push("lattice://echo:0.1.0", data)
    results: dict[str, list[float]] = {k: [] for k in (
        "file read + sha256 (baseline)", "oci cold (new client)", "oci cached tag (new client)",
        "oci cached tag (host's client)", "oci pinned cached", "lattice cold", "lattice cached tag",
        "lattice pinned cached")}  # fmt: skip

    async def file_read() -> None:
        hashlib.sha256(ACTOR.read_bytes()).hexdigest()

    cache = scratch / "warm"
    warm = OciSettings(allowed_insecure=base.allowed_insecure, cache_dir=cache)
    async with ArtifactFetcher(warm) as fetcher:
        await fetcher.pull(ref)
    lattice_warm = LatticeRegistry(nc, "bench", warm)
    await lattice_warm.pull("lattice://echo:0.1.0")
    host_fetcher = await ArtifactFetcher(warm).__aenter__()
    for n in range(rounds):

        async def oci_cold(n: int = n) -> None:
            cold = OciSettings(allowed_insecure=base.allowed_insecure, cache_dir=scratch / f"cold-{n}")
            async with ArtifactFetcher(cold) as f:
                await f.pull(ref, ArtifactKind.ACTOR)

        async def oci_host_tag() -> None:
            await host_fetcher.pull(ref, ArtifactKind.ACTOR)

        async def oci_tag() -> None:
            async with ArtifactFetcher(warm) as f:
                await f.pull(ref, ArtifactKind.ACTOR)

        async def oci_pinned() -> None:
            async with ArtifactFetcher(warm) as f:
                await f.pull(f"{registry.address}/bench/echo@{manifest}", ArtifactKind.ACTOR)

        async def lattice_cold(n: int = n) -> None:
            settings = OciSettings(cache_dir=scratch / f"lcold-{n}")
            await LatticeRegistry(nc, "bench", settings).pull("lattice://echo:0.1.0", ArtifactKind.ACTOR)

        async def lattice_tag() -> None:
            await LatticeRegistry(nc, "bench", warm).pull("lattice://echo:0.1.0", ArtifactKind.ACTOR)

        async def lattice_pinned() -> None:
            await LatticeRegistry(nc, "bench", warm).pull(f"lattice://echo@{pushed.digest}", ArtifactKind.ACTOR)

        steps = (file_read, oci_cold, oci_tag, oci_host_tag, oci_pinned, lattice_cold, lattice_tag, lattice_pinned)
        for name, fn in zip(results, steps, strict=True):
            results[name].append(await timed(fn))
    await host_fetcher.__aexit__(None, None, None)
    await nc.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    if find_binary() is None:
        print("docker-registry is not installed (make registry-deps): skipped")
        return 0
    with tempfile.TemporaryDirectory(prefix="oci-bench-") as tmp:
        scratch = Path(tmp)
        with (
            RegistryServer(scratch / "registry") as registry,
            NatsServer(NatsServerConfig(store_dir=scratch / "nats")) as nats,
        ):
            results = asyncio.run(bench(args.rounds, scratch, registry, nats.url))
    baseline = statistics.median(next(iter(results.values())))
    print(f"{ACTOR.name}: {ACTOR.stat().st_size} bytes, {args.rounds} rounds, median ms")
    for name, samples in results.items():
        median = statistics.median(samples)
        print(f"  {name:32s} {median:8.2f} ms   x{median / baseline:8.1f} baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
