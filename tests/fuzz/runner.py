"""The live fuzz driver: sends generated probes at a running lattice and checks that every request is answered.

A NATS request that gets no reply within the timeout, or a reply that is not what the subject promises (an
InvocationResponse, a JSON ack, a HealthCheckResponse, a refused shutdown), is a failure; so is a correct
invocation (``*/valid``) that fails. An HTTP probe must get an ``HTTP/1.x`` answer or a clean close, and a
well-formed request must not get a 5xx. Replies that admit an *internal* error (a path the code did not expect)
are counted apart as findings.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from nats.errors import NoRespondersError

from lattice.wire import HealthCheckResponse, InvocationResponse, MessageMalformed
from tests.fuzz.generators import Fuzz
from tests.fuzz.probes import Expect, HttpProbe, Probe, ProbeMaker, Targets

DEFAULT_CONCURRENCY = 64
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_HTTP_SHARE = 0.15
INCOMPLETE_WAIT_S = 2.0
MAX_SAMPLES = 12
HEAD_END = b"\r\n\r\n"
INTERNAL_MARKERS = ("internal error", "internal host error", "Traceback", "failed: internal")
# family weights: NATS probes (HTTP probes take DEFAULT_HTTP_SHARE on top)
WEIGHTS = {"actor_rpc": 0.35, "provider_rpc": 0.30, "provider_channel": 0.10, "ctl": 0.25}


@dataclass
class FuzzStats:
    sent: int = 0
    requests: int = 0
    replies: int = 0
    publishes: int = 0
    http: int = 0
    http_answered: int = 0
    families: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    internal: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)  # answered with an error or a failure ack (as they should)
    http_status: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def fail(self, family: str, why: str, body: bytes = b"") -> None:
        self.failures[family] += 1
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append(f"FAIL {family}: {why} (body {body[:80]!r})")

    def finding(self, family: str, text: str, body: bytes = b"") -> None:
        self.internal[family] += 1
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append(f"INTERNAL {family}: {text[:200]} (body {body[:80]!r})")

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "sent": self.sent, "nats_requests": self.requests, "nats_replies": self.replies,
            "publishes": self.publishes, "http": self.http, "http_answered": self.http_answered,
            "seconds": round(self.seconds, 1), "msgs_per_s": round(self.sent / max(self.seconds, 1e-9)),
            "failures": dict(self.failures), "internal": dict(self.internal), "refused": dict(self.refused),
            "http_status": dict(self.http_status),
            "families": dict(self.families), "samples": self.samples,
        }  # fmt: skip


def _admits_internal(text: str) -> bool:
    return any(marker in text for marker in INTERNAL_MARKERS)


def check_reply(probe: Probe, data: bytes, stats: FuzzStats) -> None:
    """Is ``data`` what ``probe.subject`` promises?"""
    family = probe.family
    try:
        if probe.expect in (Expect.INVOCATION, Expect.SUCCESS):
            response = InvocationResponse.decode(data)
            if response.error is not None:
                stats.refused[family] += 1
            if probe.expect is Expect.SUCCESS and response.error is not None:
                stats.fail(family, f"a correct invocation failed: {response.error}", probe.body)
            elif response.error is not None and _admits_internal(response.error):
                stats.finding(family, response.error, probe.body)
        elif probe.expect is Expect.CTL:
            reply = json.loads(data)
            if not isinstance(reply, dict):
                stats.fail(family, f"control reply is not an object: {data[:80]!r}", probe.body)
            elif reply.get("accepted") is False:
                stats.refused[family] += 1
                if _admits_internal(str(reply.get("error"))):
                    stats.finding(family, str(reply.get("error")), probe.body)
        elif probe.expect is Expect.HEALTH:
            HealthCheckResponse.decode(data)
        elif probe.expect is Expect.SHUTDOWN_REFUSED and not data.startswith(b"shutdown ignored"):
            stats.fail(family, f"shutdown not refused: {data[:80]!r}", probe.body)
    except (MessageMalformed, ValueError, UnicodeDecodeError) as exc:
        stats.fail(family, f"reply is not {probe.expect.value}: {exc}; {data[:80]!r}", probe.body)


class FuzzRun:
    """One bounded run: at most ``count`` probes and at most ``seconds``, ``concurrency`` in flight."""

    def __init__(
        self,
        nc: Any,
        targets: Targets,
        seed: int,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        http_share: float = DEFAULT_HTTP_SHARE,
    ) -> None:
        self.nc = nc
        self.fuzz = Fuzz(seed)
        self.maker = ProbeMaker(targets, self.fuzz)
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.http_share = http_share
        self.stats = FuzzStats()

    def next_probe(self) -> Probe | HttpProbe:
        f = self.fuzz
        if f.chance(self.http_share):
            return self.maker.http()
        family = f.r.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        probe: Probe = getattr(self.maker, family)()
        return probe

    async def run(self, count: int, seconds: float, progress_every: int = 0) -> FuzzStats:
        slots = asyncio.Semaphore(self.concurrency)
        tasks: set[asyncio.Task[None]] = set()
        start = time.monotonic()
        deadline = start + seconds
        while self.stats.sent < count and time.monotonic() < deadline:
            probe = self.next_probe()
            await slots.acquire()
            task = asyncio.create_task(self._send(probe))
            tasks.add(task)
            task.add_done_callback(lambda t: (tasks.discard(t), slots.release()))
            self.stats.sent += 1
            if progress_every and self.stats.sent % progress_every == 0:
                rate = self.stats.sent / (time.monotonic() - start)
                print(f"  {self.stats.sent:7d} sent, {rate:6.0f}/s, {self.stats.failed} failures", flush=True)
        if tasks:
            await asyncio.gather(*tasks)
        self.stats.seconds = time.monotonic() - start
        return self.stats

    async def _send(self, probe: Probe | HttpProbe) -> None:
        self.stats.families[probe.family] += 1
        if isinstance(probe, HttpProbe):
            await self._http(probe)
        elif probe.expect is Expect.NOTHING:
            await self.nc.publish(probe.subject, probe.body)
            self.stats.publishes += 1
        else:
            await self._request(probe)

    async def _request(self, probe: Probe) -> None:
        self.stats.requests += 1
        try:
            msg = await self.nc.request(probe.subject, probe.body, timeout=self.timeout_s)
        except NoRespondersError:
            self.stats.fail(probe.family, "no responders: the subscriber is gone", probe.body)
            return
        except TimeoutError:
            self.stats.fail(probe.family, f"no reply within {self.timeout_s:g}s", probe.body)
            return
        self.stats.replies += 1
        check_reply(probe, bytes(msg.data), self.stats)

    async def _http(self, probe: HttpProbe) -> None:
        self.stats.http += 1
        try:
            async with asyncio.timeout(self.timeout_s if probe.complete else INCOMPLETE_WAIT_S):
                answer = await http_exchange(probe.port, probe.data)
        except TimeoutError:
            if probe.complete:
                self.stats.fail(probe.family, f"no HTTP answer or close within {self.timeout_s:g}s", probe.data)
            else:  # the server waits for the rest of a declared body: right
                self.stats.http_answered += 1
                self.stats.http_status["waits for more"] += 1
            return
        except OSError as exc:
            self.stats.fail(probe.family, f"connection failed: {exc}", probe.data)
            return
        self.stats.http_answered += 1
        status = answer[9:12].decode("latin-1") if answer.startswith(b"HTTP/1.") else ("closed" if not answer else "?")
        self.stats.http_status[status] += 1
        if status == "?":
            self.stats.fail(probe.family, f"answer is not HTTP: {answer[:60]!r}", probe.data)
        elif probe.well_formed and (status == "closed" or status.startswith("5")):
            self.stats.fail(probe.family, f"well-formed request got {answer[:80]!r}", probe.data)


async def http_exchange(port: int, data: bytes) -> bytes:
    """Send ``data`` and read until the server closes or a response head is complete ("" = closed silently).

    The connection is not half-closed: aiohttp, like many servers, takes EOF from the client as a disconnect and
    drops the request. A server that answers and closes while the request is still being written (a huge header)
    is answering too: what it sent before the reset is kept.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answer = b""
    try:
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            writer.write(data)
            await writer.drain()
        with contextlib.suppress(ConnectionResetError):
            while (chunk := await reader.read(65536)) and HEAD_END not in answer + chunk:
                answer += chunk
            answer += chunk
        return answer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            await writer.wait_closed()
