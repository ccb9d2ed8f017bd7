"""Row ``http_process``: HTTP through the httpserver provider process to an actor, against a bare aiohttp "hello"
server, the same load on both (``bench/http_provider.py``: its actor is a stand-in process that checks anti-forgery
and answers)."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from _row import Row, emit, parser
from http_provider import baseline_rps, provider_rps

from lattice.natsserver import NatsServer, NatsServerConfig

CONCURRENCY = 32


async def measure(seconds: float) -> Row:
    with tempfile.TemporaryDirectory() as tmp:
        async with NatsServer(NatsServerConfig(store_dir=Path(tmp), jetstream=False)) as server:
            baseline = await baseline_rps(seconds, CONCURRENCY)
            provider = await provider_rps(server.url, seconds, CONCURRENCY)
    detail = (
        f"provider {provider:.0f} req/s, aiohttp {baseline:.0f} req/s ({CONCURRENCY} in flight, {seconds:g} s each)"
    )
    return Row("http_process", provider / baseline, detail)


def main() -> None:
    options = parser(__doc__.splitlines()[0]).parse_args()
    emit([asyncio.run(measure(1.0 if options.quick else 4.0))], options.json)


if __name__ == "__main__":
    main()
