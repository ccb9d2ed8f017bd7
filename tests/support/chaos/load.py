"""The chaos run's clients: HTTP to echo, kvcounter and pinger through the httpserver provider, and signed lattice
RPC to ponger, each paced at a fixed rate; every request is recorded with its outcome.

Outcomes:

* **ok** — the right answer (echo describes the request, kvcounter a positive count, pinger and ponger the pong);
* **clean error** — an HTTP error status (the provider's 503 when the actor did not answer in time, the actor's
  500), a refused or reset connection (the listener's process is gone), or an RPC error reply or timeout;
* **not clean** — no answer within :data:`CLIENT_TIMEOUT_S`, a wrong answer, or any other exception.

kvcounter's acknowledged values are kept per key (:class:`Ledger`) so the run can check, at the end, that no
acknowledged increment is missing from the stored count.

HTTP connections are not kept alive (``force_close``): a pooled connection to a listener that was killed is a
client artefact, and every request should reach the lattice as it is now.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp

from lattice.rpc import RpcError
from tests.support.chaos.lattice import ChaosLattice
from tests.support.faults_support import ping
from tests.support.waiting import sleep_until

KINDS = ("echo", "kvcounter", "pinger", "ponger-rpc")
CLIENT_TIMEOUT_S = 10.0
KV_PATH = "/chaos"
PROBE_KEY = "/chaos-probe"
PONG = "pong from ponger"


class WrongAnswer(Exception):
    """The lattice answered, but not what the actor answers."""


class HttpStatus(Exception):
    """An HTTP error status: a clean refusal."""


@dataclass(frozen=True)
class Outcome:
    kind: str
    start: float  # monotonic seconds
    end: float
    error: str | None = None
    clean: bool = True

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def seconds(self) -> float:
        return self.end - self.start


def classify(exc: BaseException) -> tuple[str, bool]:
    """(short description, clean?) of a failed request."""
    text = f"{type(exc).__name__}: {exc}"[:200]
    if isinstance(exc, RpcError):  # an error reply, or RpcTimeout: the RPC client's own bounded wait ran out
        return text, True
    if isinstance(exc, TimeoutError):  # asyncio's and aiohttp's: no answer within CLIENT_TIMEOUT_S
        return f"no answer: {text}", False
    if isinstance(exc, HttpStatus | aiohttp.ClientConnectionError):
        return text, True
    return text, False


@dataclass
class Ledger:
    """Per kvcounter key: requests sent, and the counts acknowledged (one per successful increment)."""

    attempts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    acked: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))


class Calls:
    """One request of each kind; raises on anything but the right answer."""

    def __init__(self, lattice: ChaosLattice, http: aiohttp.ClientSession, ledger: Ledger) -> None:
        self.lattice = lattice
        self.http = http
        self.ledger = ledger

    async def _get(self, actor: str, path: str) -> dict[str, object]:
        async with self.http.get(self.lattice.http_url(actor, path)) as resp:
            body = await resp.read()
        if resp.status != 200:
            raise HttpStatus(f"{actor} answered {resp.status}: {body[:120]!r}")
        try:
            found = json.loads(body)
        except ValueError:
            raise WrongAnswer(f"{actor} answered 200 with {body[:120]!r}") from None
        if not isinstance(found, dict):
            raise WrongAnswer(f"{actor} answered 200 with {body[:120]!r}")
        return found

    async def echo(self, n: int) -> None:
        path = f"/chaos/{n}"
        seen = await self._get("echo", path)
        if seen.get("path") != path or seen.get("method") != "GET":
            raise WrongAnswer(f"echo described another request: {seen}")

    async def kvcounter(self, path: str) -> None:
        self.ledger.attempts[path] += 1
        counter = (await self._get("kvcounter", path)).get("counter")
        if not isinstance(counter, int) or counter < 1:
            raise WrongAnswer(f"kvcounter answered counter={counter!r}")
        self.ledger.acked[path].append(counter)

    async def pinger(self) -> None:
        found = await self._get("pinger", "/")
        if found.get("pong") != PONG:
            raise WrongAnswer(f"pinger answered {found}")

    async def ponger(self) -> None:
        if not await ping(self.lattice.rpc):
            raise WrongAnswer("ponger did not answer the pong")

    def by_kind(self, n: int, kv_keys: int) -> dict[str, Callable[[], Awaitable[None]]]:
        """Request number ``n`` of every kind (kvcounter spreads over ``kv_keys`` keys)."""
        return {
            "echo": lambda: self.echo(n),
            "kvcounter": lambda: self.kvcounter(f"{KV_PATH}/{n % kv_keys}"),
            "pinger": self.pinger,
            "ponger-rpc": self.ponger,
        }


async def timed(kind: str, call: Callable[[], Awaitable[None]], timeout_s: float = CLIENT_TIMEOUT_S) -> Outcome:
    start = time.monotonic()
    try:
        async with asyncio.timeout(timeout_s):
            await call()
    except Exception as exc:
        error, clean = classify(exc)
        return Outcome(kind, start, time.monotonic(), error, clean)
    return Outcome(kind, start, time.monotonic())


@dataclass(frozen=True)
class Rates:
    """Requests per second of each kind."""

    echo: float
    kvcounter: float
    pinger: float
    ponger_rpc: float

    @classmethod
    def split(cls, total: float) -> Rates:
        """A third to echo, a third to kvcounter, a sixth each to pinger and to ponger over RPC."""
        return cls(total / 3, total / 3, total / 6, total / 6)

    def of(self, kind: str) -> float:
        return float(getattr(self, kind.replace("-", "_")))


class Load:
    """Paced loops per kind (``workers`` each); a loop that falls behind skips its missed slots."""

    def __init__(self, calls: Calls, rates: Rates, kv_keys: int, workers: int) -> None:
        self.calls = calls
        self.rates = rates
        self.kv_keys = kv_keys
        self.workers = workers
        self.outcomes: list[Outcome] = []

    async def run(self, until: float) -> None:
        await asyncio.gather(*(self._kind(kind, until) for kind in KINDS if self.rates.of(kind) > 0))

    async def _kind(self, kind: str, until: float) -> None:
        workers = max(1, min(self.workers, int(self.rates.of(kind))))
        period = workers / self.rates.of(kind)

        async def worker(w: int) -> None:
            n, next_at = w, time.monotonic() + w * period / workers
            while next_at < until:
                await sleep_until(next_at)
                self.outcomes.append(await timed(kind, self.calls.by_kind(n, self.kv_keys)[kind]))
                n += workers
                next_at = max(next_at + period, time.monotonic())

        await asyncio.gather(*(worker(w) for w in range(workers)))


def http_session() -> aiohttp.ClientSession:
    timeout = aiohttp.ClientTimeout(total=CLIENT_TIMEOUT_S)
    return aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(force_close=True, limit=0))
