"""After the garbage: is everything still alive and still correct? Each check returns a problem or None."""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable

import aiohttp
import msgpack

from lattice import subjects
from lattice.subjects import ProviderChannel
from lattice.wire import HEALTH_REQUEST, HealthCheckResponse
from tests.fuzz.probes import Targets
from tests.support.rig import ACTORS, ExampleLattice

CHECK_TIMEOUT_S = 10.0


def targets_of(rig: ExampleLattice) -> Targets:
    return Targets(
        lattice=rig.lattice,
        host_id=rig.host_id,
        cluster_key=rig.cluster_key,
        actors=dict(rig.actors),
        providers=dict(rig.providers),
        http_ports=tuple(rig.ports.values()),
    )


async def _get_json(http: aiohttp.ClientSession, url: str) -> tuple[int, dict[str, object]]:
    async with http.get(url) as resp:
        body = await resp.read()
        return resp.status, json.loads(body) if resp.status == 200 else {"body": body[:100].decode("latin-1")}


async def check_http(rig: ExampleLattice) -> str | None:
    path = f"/after-{secrets.token_hex(3)}"
    timeout = aiohttp.ClientTimeout(total=CHECK_TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        status, echo = await _get_json(http, rig.http_url("echo", f"{path}?x=1"))
        if status != 200 or echo.get("path") != path or echo.get("query") != "x=1":
            return f"echo answered {status} {echo}"
        counts = [await _get_json(http, rig.http_url("kvcounter", path)) for _ in range(2)]
        if [c[1].get("counter") for c in counts] != [1, 2]:
            return f"kvcounter answered {counts}"
        status, pong = await _get_json(http, rig.http_url("pinger"))
        if status != 200 or pong.get("pong") != "pong from ponger":
            return f"pinger answered {status} {pong}"
        status, logged = await _get_json(http, rig.http_url("logger"))
        if status != 200 or len(str(logged.get("guid", ""))) != 36:
            return f"logger answered {status} {logged}"
    return None


async def check_messaging(rig: ExampleLattice) -> str | None:
    reply = await rig.nc.request(rig.uppercase_subject, b"after the fuzz", timeout=CHECK_TIMEOUT_S)
    return None if reply.data == b"AFTER THE FUZZ" else f"uppercase answered {reply.data!r}"


async def check_rpc(rig: ExampleLattice) -> str | None:
    reply = await rig.call_actor("ponger", "Pingpong.Ping", b"", timeout_ms=int(CHECK_TIMEOUT_S * 1000))
    return None if msgpack.unpackb(reply) == "pong from ponger" else f"ponger answered {reply!r}"


async def check_health(rig: ExampleLattice) -> str | None:
    for contract, pk in rig.providers.items():
        subject = subjects.provider_channel(rig.lattice, pk, "default", ProviderChannel.HEALTH)
        reply = await rig.nc.request(subject, HEALTH_REQUEST, timeout=CHECK_TIMEOUT_S)
        health = HealthCheckResponse.decode(reply.data)
        if not health.healthy:
            return f"{contract} provider unhealthy: {health.message}"
    return None


async def check_control(rig: ExampleLattice) -> str | None:
    hosts = await rig.ctl.ping_hosts()
    if [h.id for h in hosts] != [rig.host_id]:
        return f"ping found {[h.id for h in hosts]}"
    inventory = await rig.ctl.get_inventory(rig.host_id)
    actors = {a.id for a in inventory.actors}
    providers = {p.id for p in inventory.providers}
    if actors != set(rig.actors.values()) or providers != set(rig.providers.values()):
        return f"inventory lists {len(actors)} actors and {len(providers)} providers, not {len(ACTORS)} and 3"
    links = {link.identity for link in await rig.ctl.get_links()}
    missing = [link.identity for link in rig.links() if link.identity not in links]
    return f"links lost: {missing}" if missing else None


CHECKS: dict[str, Callable[[ExampleLattice], Awaitable[str | None]]] = {
    "http through the httpserver provider (echo, kvcounter, pinger→ponger, logger)": check_http,
    "messaging provider → uppercase → reply": check_messaging,
    "direct RPC to ponger": check_rpc,
    "provider health checks": check_health,
    "control interface (ping, inventory, links)": check_control,
}


async def still_serving(rig: ExampleLattice, pids_before: dict[str, int]) -> list[str]:
    """Every problem found: a process gone or restarted, or a correct request answered wrongly."""
    problems = []
    if not rig.host_alive():
        return ["the host process exited"]
    pids_after = rig.processes()
    if pids_after != pids_before:
        problems.append(f"processes changed (crash or restart): before {pids_before}, after {pids_after}")
    for name, check in CHECKS.items():
        try:
            problem = await check(rig)
        except Exception as exc:
            problem = f"{type(exc).__name__}: {exc}"
        if problem:
            problems.append(f"{name}: {problem}")
    return problems


def log_findings(rig: ExampleLattice) -> list[str]:
    """Tracebacks the host (and the providers, whose output it logs) wrote during the run."""
    lines = rig.host_log.read_text(errors="replace").splitlines()
    found = []
    for i, line in enumerate(lines):
        if line.startswith("Traceback") or "Traceback (most recent call last)" in line:
            context = " / ".join(
                lines[max(0, i - 1) : i + 1] + [ln for ln in lines[i + 1 : i + 40] if ln[:1] != " "][:1]
            )
            found.append(context[:400])
    return found
