"""Helpers of the lattice-wide security tests: a snapshot of lattice state, re-signed example actors, HTTP, raw RPC.

A :class:`LatticeState` is what an attack must not change: the links and claims the control interface reports,
each host's running actors (with instance counts) and providers, and the last sequence number of the
``LATTICEDATA_{lattice}`` stream (any write to the bucket, even a delete, raises it).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from host.host import Host
from lattice import keys, subjects
from lattice.claims import ActorSpec, sign_module
from lattice.claims.wasm import embed_token, find_token, strip_tokens
from lattice.control import ControlClient
from lattice.wire import InvocationResponse
from tests.support.waiting import wait_until

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "actors-examples"
EXAMPLE_ACCOUNT = "AC2J45S7QQDCXYZJGTOODL33XH376GT5452464RJ5PRYTE6HRLEAY6NC"
HTTPSERVER = "wasmcloud:httpserver"
KEYVALUE = "wasmcloud:keyvalue"
HTTPSERVER_REF = "python:wasmlattice_httpserver"
KEYVALUE_REF = "python:wasmlattice_keyvalue"
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=10)
REQUEST_TIMEOUT_S = 5.0
SETTLE_TIMEOUT_S = 10.0
POLL_S = 0.05


def example_wasm(name: str) -> bytes:
    """The committed, signed example actor ``name`` (echo, kvcounter, …)."""
    return (EXAMPLES / name / f"{name}.wasm").read_bytes()


def resign(
    name: str,
    issuer: keys.KeyPair,
    caps: list[str],
    *,
    expires_in_s: int | None = None,
    not_before_in_s: int | None = None,
) -> tuple[bytes, str]:
    """Example actor ``name``'s code signed afresh by ``issuer`` with ``caps`` (a new module key); (wasm, key)."""
    unsigned = strip_tokens(example_wasm(name))
    spec = ActorSpec(name=f"{name} (re-signed)", caps=caps, expires_in_s=expires_in_s, not_before_in_s=not_before_in_s)
    wasm, claims = sign_module(unsigned, spec, issuer)
    return wasm, claims.subject


def tampered(name: str) -> bytes:
    """Example actor ``name`` with one code byte flipped after signing (the original token put back)."""
    wasm = example_wasm(name)
    token = find_token(wasm)
    assert token is not None
    body = bytearray(strip_tokens(wasm))
    body[len(body) // 2] ^= 0x01
    return embed_token(bytes(body), token)


@dataclass(frozen=True)
class HttpReply:
    status: int
    body: str


async def http_get(port: int, path: str = "/", data: bytes | None = None) -> HttpReply:
    """GET (or POST when ``data`` is given) ``http://127.0.0.1:{port}{path}``."""
    async with aiohttp.ClientSession(timeout=HTTP_TIMEOUT) as session:
        method = "POST" if data is not None else "GET"
        body = None if data is None else io.BytesIO(data)  # aiohttp warns about large raw bytes bodies
        async with session.request(method, f"http://127.0.0.1:{port}{path}", data=body) as response:
            return HttpReply(response.status, await response.text())


async def wait_http(port: int, path: str = "/", timeout_s: float = SETTLE_TIMEOUT_S) -> HttpReply:
    """The first answer of a listener that the httpserver provider opens on its own schedule after a link."""
    reply: HttpReply = await wait_until(
        lambda: http_get(port, path),
        timeout_s,
        f"an HTTP answer on port {port}",
        poll_s=POLL_S,
        retry_on=(aiohttp.ClientConnectionError,),
    )
    return reply


async def raw_rpc(nc: Any, subject: str, body: bytes) -> InvocationResponse:
    """Send raw bytes to an RPC subject and decode the InvocationResponse."""
    reply = await nc.request(subject, body, timeout=REQUEST_TIMEOUT_S)
    return InvocationResponse.decode(reply.data)


@dataclass(frozen=True)
class LatticeState:
    links: frozenset[tuple[str, str, str, str, tuple[tuple[str, str], ...]]]
    claims: frozenset[tuple[tuple[str, str], ...]]
    actors: frozenset[tuple[str, str, int]]
    providers: frozenset[tuple[str, str, str]]
    bucket_last_seq: int


async def snapshot(ctl: ControlClient, nc: Any, lattice: str) -> LatticeState:
    """The lattice as the control interface and the LATTICEDATA bucket show it (hosts: those that answer a ping)."""
    links = frozenset(
        (ld.actor_id, ld.provider_id, ld.contract_id, ld.link_name, tuple(sorted(ld.values.items())))
        for ld in await ctl.get_links()
    )
    claims = frozenset(tuple(sorted(c.items())) for c in await ctl.get_claims())
    actors: set[tuple[str, str, int]] = set()
    providers: set[tuple[str, str, str]] = set()
    for host in await ctl.ping_hosts():
        inventory = await ctl.get_inventory(host.id)
        actors |= {(host.id, a.id, len(a.instances)) for a in inventory.actors}
        providers |= {(host.id, p.id, p.link_name) for p in inventory.providers}
    info = await nc.jetstream().stream_info(f"KV_{subjects.lattice_bucket(lattice)}")
    return LatticeState(links, claims, frozenset(actors), frozenset(providers), info.state.last_seq)


@dataclass
class SecureLattice:
    host: Host
    nc: Any
    ctl: ControlClient
    lattice: str
    cluster: keys.KeyPair
    account: keys.KeyPair
    tmp: Path
    actors: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    providers: dict[str, str] = field(default_factory=dict)

    @property
    def host_id(self) -> str:
        return self.host.host_id

    def module_file(self, wasm: bytes, name: str) -> str:
        path = self.tmp / f"{name}.wasm"
        path.write_bytes(wasm)
        return f"file://{path}"

    async def assert_serves(self) -> None:
        """The host still serves: echo answers over real HTTP, kvgood counts in the real KV store, ctl answers."""
        echo = await http_get(self.ports["echo"], "/still-here")
        assert echo.status == 200, echo
        assert "/still-here" in echo.body
        counted = await http_get(self.ports["kvgood"], "/probe")
        assert counted.status == 200, counted
        assert '"counter":' in counted.body
        assert [h.id for h in await self.ctl.ping_hosts()] == [self.host_id]
