"""The messages of the live fuzz run: one :class:`Probe` (NATS) or :class:`HttpProbe` (raw TCP) at a time.

Families: ``actor-rpc`` and ``provider-rpc`` (random bytes, wrong-typed maps, mutated signed invocations, and
correctly signed invocations carrying garbage payloads for every operation the target serves), ``provider-chan``
(health, shutdown naming another host, linkdefs put/del garbage), ``ctl`` (every control subject) and ``http``.
A few correct invocations (``*/valid``) are mixed in: they must succeed even while the garbage flows.

Guards keep the run from doing what a *valid* command would legitimately do to the lattice under test: no stop
command or provider shutdown that the target would honour, no link change for the real actors, no link that a
provider would accept (it could bind ports or create buckets). Everything else is fair game.
"""

from __future__ import annotations

import contextlib
import enum
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lattice import keys, subjects
from lattice.control.commands import StopHostCommand
from lattice.control.errors import PayloadError
from lattice.control.requests import ActorAuctionRequest, ProviderAuctionRequest
from lattice.interfaces import HttpRequest, SubMessage
from lattice.subjects import CtlOp, ProviderChannel
from lattice.wire import HEALTH_REQUEST, LinkDefinition, MessageMalformed, WasmCloudEntity, antiforgery, pack
from tests.fuzz.generators import Fuzz, pack_any

HTTP = "wasmcloud:httpserver"
KEYVALUE = "wasmcloud:keyvalue"
MESSAGING = "wasmcloud:messaging"
LINK = "default"
INVOCATION_FIELDS = ["origin", "target", "operation", "msg", "id", "encoded_claims", "host_id", "content_length"]
CTL_FIELDS = ["actor_ref", "actor_id", "provider_ref", "provider_id", "link_name", "contract_id", "count", "host_id",
              "annotations", "constraints", "values", "timeout", "configuration", "new_actor_ref", "replicas", "key",
              "value"]  # fmt: skip
# link values each provider refuses: a link put that slips through the guards must not bind a port or make a bucket
REFUSED_VALUES = {HTTP: {"port": "fz-not-a-port"}, KEYVALUE: {"bucket": "fz bad!"}, MESSAGING: {"subscription": "a b"}}
KV_OPS = ["Get", "Set", "Del", "Contains", "Increment", "ListAdd", "ListClear", "ListDel", "ListRange", "SetAdd",
          "SetDel", "SetUnion", "SetIntersection", "SetQuery", "SetClear"]  # fmt: skip
SAFE_COMMAND_REFS = {"actor_ref": "file:///nonexistent/fz.wasm", "provider_ref": "python:fz_no_such_module"}


class Expect(enum.Enum):
    INVOCATION = "an InvocationResponse"
    SUCCESS = "a successful InvocationResponse"
    CTL = "a JSON control reply"
    HEALTH = "a HealthCheckResponse"
    SHUTDOWN_REFUSED = "a refused shutdown"
    NOTHING = "nothing (a plain publish)"


@dataclass(frozen=True)
class Probe:
    family: str
    subject: str
    body: bytes
    expect: Expect


@dataclass(frozen=True)
class HttpProbe:
    family: str
    port: int
    data: bytes
    well_formed: bool
    complete: bool = True  # False: the request declares more body than it sends (the server may wait)


@dataclass(frozen=True)
class Targets:
    """What the fuzz run aims at (filled from the running rig)."""

    lattice: str
    host_id: str
    cluster_key: keys.KeyPair
    actors: Mapping[str, str]
    providers: Mapping[str, str]
    http_ports: tuple[int, ...]


class ProbeMaker:
    def __init__(self, targets: Targets, fuzz: Fuzz) -> None:
        self.t = targets
        self.f = fuzz
        self.real_actors = frozenset(targets.actors.values())
        self.foreign_cluster = keys.KeyPair.create(keys.KeyType.CLUSTER)
        self.fake_actor = keys.KeyPair.create(keys.KeyType.MODULE).public_key
        self.fake_provider = keys.KeyPair.create(keys.KeyType.SERVICE).public_key
        self.foreign_host = keys.KeyPair.create(keys.KeyType.SERVER).public_key
        self.caller_host = keys.KeyPair.create(keys.KeyType.SERVER).public_key

    # --- signing --------------------------------------------------------------------------------------------------

    def sign(self, origin: WasmCloudEntity, target: WasmCloudEntity, op: str, msg: bytes, **kw: Any) -> bytes:
        cluster = self.foreign_cluster if self.f.chance(0.03) else self.t.cluster_key
        return antiforgery.sign(origin, target, op, msg, cluster, self.caller_host, **kw).encode()

    def provider_entity(self, contract: str) -> WasmCloudEntity:
        return WasmCloudEntity.provider(self.t.providers[contract], contract, LINK)

    # --- actors ---------------------------------------------------------------------------------------------------

    def actor_call(self, name: str) -> tuple[WasmCloudEntity, str, bytes, dict[str, Any]]:
        """A valid (origin, operation, payload, payload map) for one example actor."""
        f = self.f
        if name == "ponger":
            return WasmCloudEntity.actor(self.fake_actor), "Pingpong.Ping", b"", {}
        if name == "uppercase":
            msg = SubMessage(f"fz.{f.r.randrange(99)}", f.raw(64), None)
            return self.provider_entity(MESSAGING), "MessageSubscriber.HandleMessage", msg.encode(), msg.to_wire()
        path = "/fz/" + "".join(f.r.choice("abcdefgh") for _ in range(3))
        req = HttpRequest("GET", path, "q=1", {"x-fuzz": ("1",)}, f.raw(32))
        return self.provider_entity(HTTP), "HttpServer.HandleRequest", req.encode(), req.to_wire()

    def actor_rpc(self) -> Probe:
        f = self.f
        name = f.pick(self.t.actors)
        actor = self.t.actors[name]
        subject = subjects.actor_rpc(self.t.lattice, actor)
        origin, op, payload, wire = self.actor_call(name)
        target = WasmCloudEntity.actor(actor)
        kind = f.r.randrange(7)
        if kind == 0:
            return Probe("actor-rpc/raw", subject, f.raw(), Expect.INVOCATION)
        if kind == 1:
            return Probe(
                "actor-rpc/wrong-types", subject, pack_any(f.wrong_types(INVOCATION_FIELDS)), Expect.INVOCATION
            )
        if kind in (2, 3):
            valid = antiforgery.sign(origin, target, op, payload, self.t.cluster_key, self.caller_host)
            return Probe("actor-rpc/mutated", subject, f.mutate(valid.to_wire()), Expect.INVOCATION)
        if kind == 4:
            garbage = self.garbage_payload(wire)
            return Probe("actor-rpc/bad-payload", subject, self.sign(origin, target, op, garbage), Expect.INVOCATION)
        if kind == 5:
            body = self.sign(
                origin, target, f.pick([op, f.text(), "HttpServer.HandleRequest"]), f.raw(64), chunked=True
            )
            return Probe("actor-rpc/odd", subject, body, Expect.INVOCATION)
        valid = antiforgery.sign(origin, target, op, payload, self.t.cluster_key, self.caller_host)
        return Probe("actor-rpc/valid", subject, valid.encode(), Expect.SUCCESS)

    def garbage_payload(self, wire: dict[str, Any]) -> bytes:
        f = self.f
        choice = f.r.randrange(4)
        if choice == 0:
            return f.raw()
        if choice == 1:
            return pack_any(f.wrong_types(list(wire) or ["x"]))
        if choice == 2:
            return pack_any(f.value())
        return f.mutate(wire) if wire else f.raw(8)

    # --- providers ------------------------------------------------------------------------------------------------

    def kv_payload(self, op: str) -> tuple[bytes, dict[str, Any]]:
        f = self.f
        key = f"fz:{f.r.randrange(20)}" if f.chance(0.8) else f.text()
        value = f.text() if f.chance(0.3) else str(f.r.randrange(-5, 5))
        maps: dict[str, dict[str, Any]] = {
            "Set": {"key": key, "value": value, "expires": f.pick([0, 0, 1, 2**32 - 1])},
            "Increment": {"key": key, "value": f.pick([1, -1, 2**31 - 1, -(2**31)])},
            "ListAdd": {"listName": key, "value": value},
            "ListDel": {"listName": key, "value": value},
            "ListRange": {"listName": key, "start": f.integer() % 7 - 3, "stop": f.integer() % 7 - 3},
            "SetAdd": {"setName": key, "value": value},
            "SetDel": {"setName": key, "value": value},
        }
        if op in maps:
            return pack(maps[op]), maps[op]
        if op in ("SetUnion", "SetIntersection"):
            return pack([key, f"fz:{f.r.randrange(20)}"]), {}
        return pack(key), {}

    def messaging_payload(self, op: str) -> tuple[bytes, dict[str, Any]]:
        f = self.f
        subject = f"fz.sink.{f.r.randrange(9)}" if f.chance(0.7) else f.text()
        wire: dict[str, Any] = {"subject": subject, "body": f.raw(64)}
        if op == "Request":
            wire["timeoutMs"] = f.pick([1, 100, 2**32 - 1])
        elif f.chance(0.5):
            wire["replyTo"] = f.text()
        return pack(wire), wire

    def provider_rpc(self) -> Probe:
        f = self.f
        contract = f.pick([KEYVALUE, KEYVALUE, MESSAGING, HTTP])
        subject = subjects.provider_rpc(self.t.lattice, self.t.providers[contract], LINK)
        linked = {KEYVALUE: "kvcounter", MESSAGING: "uppercase", HTTP: "echo"}[contract]
        origin = WasmCloudEntity.actor(self.t.actors[linked] if f.chance(0.9) else self.fake_actor)
        target = self.provider_entity(contract)
        if contract == KEYVALUE:
            method = f.pick(KV_OPS)
            payload, wire = self.kv_payload(method)
            op = f"KeyValue.{method}"
        elif contract == MESSAGING:
            method = f.pick(["Publish", "Request"])
            payload, wire = self.messaging_payload(method)
            op = f"Messaging.{method}"
        else:
            op, payload, wire = f.pick(["HttpServer.HandleRequest", f.text()]), f.raw(32), {}
        kind = f.r.randrange(6)
        if kind == 0:
            return Probe("provider-rpc/raw", subject, f.raw(), Expect.INVOCATION)
        if kind == 1:
            body = pack_any(f.wrong_types(INVOCATION_FIELDS))
            return Probe("provider-rpc/wrong-types", subject, body, Expect.INVOCATION)
        if kind == 2:
            valid = antiforgery.sign(origin, target, op, payload, self.t.cluster_key, self.caller_host)
            return Probe("provider-rpc/mutated", subject, f.mutate(valid.to_wire()), Expect.INVOCATION)
        if kind == 3:
            body = self.sign(origin, target, op, self.garbage_payload(wire))
            return Probe("provider-rpc/bad-payload", subject, body, Expect.INVOCATION)
        return Probe("provider-rpc/typed", subject, self.sign(origin, target, op, payload), Expect.INVOCATION)

    # --- provider side channels -----------------------------------------------------------------------------------

    def provider_channel(self) -> Probe:
        f = self.f
        contract = f.pick(self.t.providers)
        pk = self.t.providers[contract]
        channel = f.pick(list(ProviderChannel))
        subject = subjects.provider_channel(self.t.lattice, pk, LINK, channel)
        if channel is ProviderChannel.HEALTH:
            body = f.pick([f.raw(), HEALTH_REQUEST, pack_any(f.value()), f.mutate_bytes(HEALTH_REQUEST)])
            return Probe("provider-chan/health", subject, body, Expect.HEALTH)
        if channel is ProviderChannel.SHUTDOWN:
            return Probe("provider-chan/shutdown", subject, self.shutdown_body(), Expect.SHUTDOWN_REFUSED)
        link = LinkDefinition(self.fake_actor, pk, contract, LINK, dict(REFUSED_VALUES[contract]))
        body = f.pick([f.raw(), pack_any(f.wrong_types(["actor_id", "provider_id", "link_name", "contract_id",
                                                            "values", "id"])), f.mutate(link.to_wire())])  # fmt: skip
        if not self.link_is_harmless(body, pk, contract):
            body = b"\xc1" + body  # 0xc1 is never valid msgpack
        return Probe(f"provider-chan/{channel.value}", subject, body, Expect.NOTHING)

    def shutdown_body(self) -> bytes:
        f = self.f
        body = f.pick([{"host_id": self.foreign_host}, {"host_id": f.value()}, {"host_id": self.foreign_host, **{
            f.text(6): f.json_value()}}])  # fmt: skip
        data = f.pick(
            [pack_any(body), json.dumps(body, default=repr).encode(), f.raw(), f.mutate_bytes(b'{"host_id": ')]
        )
        return data if shutdown_refused(data, self.t.host_id) else json.dumps({"host_id": self.foreign_host}).encode()

    def link_is_harmless(self, body: bytes, provider_key: str, contract: str) -> bool:
        try:
            link = LinkDefinition.decode_msgpack(body)
        except MessageMalformed:
            return True
        if link.provider_id != provider_key or link.link_name != LINK:
            return True
        return link.actor_id not in self.real_actors and dict(link.values) == REFUSED_VALUES[contract]

    # --- control interface ----------------------------------------------------------------------------------------

    def ctl(self) -> Probe:
        f = self.f
        op = f.pick(list(CtlOp))
        subject = subjects.ctl(self.t.lattice, op, self.t.host_id if op.host_targeted else "")
        kind = f.r.randrange(4)
        if kind == 0:
            body = f.raw(128)
        elif kind == 1:
            body = json.dumps(f.json_value()).encode()
        elif kind == 2:
            body = json.dumps({name: f.json_value() for name in f.r.sample(CTL_FIELDS, f.r.randint(0, 6))}).encode()
        else:
            body = self.mutated_command(op)
        if op is CtlOp.STOP_HOST:
            body = self.never_stop(body)
        return Probe(f"ctl/{op.name.lower()}", subject, body, self.ctl_expect(op, body))

    def mutated_command(self, op: CtlOp) -> bytes:
        f = self.f
        template: dict[str, Any] = {
            "actor_ref": SAFE_COMMAND_REFS["actor_ref"], "actor_id": self.fake_actor, "count": 1, "annotations": {},
            "host_id": self.t.host_id, "provider_ref": SAFE_COMMAND_REFS["provider_ref"], "link_name": LINK,
            "contract_id": "wasmcloud:fz", "provider_id": self.fake_provider, "values": {}, "constraints": {},
            "new_actor_ref": SAFE_COMMAND_REFS["actor_ref"], "key": "fz", "value": "1",
        }  # fmt: skip
        mutated = f.mutate_map(template) if f.chance(0.7) else template
        text = json.dumps(mutated, default=repr).encode()
        return f.mutate_bytes(text) if f.chance(0.4) else text

    def never_stop(self, body: bytes) -> bytes:
        """A stop-host body the host must refuse. The shared decoder is the judge of what the host would honour
        (a blank body reads as ``{}``, a ``null`` host id as none: both are a stop for whoever receives it)."""
        try:
            command = StopHostCommand.decode(body)
        except PayloadError:
            return body
        if command.host_id in ("", self.t.host_id):
            return json.dumps({"host_id": self.foreign_host}).encode()
        return body

    @staticmethod
    def ctl_expect(op: CtlOp, body: bytes) -> Expect:
        """Auctions stay silent when the request is valid but the constraints do not match this host's labels."""
        decoders: dict[CtlOp, Callable[[bytes], Any]] = {
            CtlOp.AUCTION_ACTOR: ActorAuctionRequest.decode,
            CtlOp.AUCTION_PROVIDER: ProviderAuctionRequest.decode,
        }
        if op not in decoders:
            return Expect.CTL
        try:
            request = decoders[op](body)
        except PayloadError:
            return Expect.CTL
        return Expect.CTL if not request.constraints else Expect.NOTHING

    # --- HTTP -----------------------------------------------------------------------------------------------------

    def http(self) -> HttpProbe:
        f = self.f
        port = f.pick(self.t.http_ports)
        kind = f.r.randrange(5)
        if kind == 0:
            return HttpProbe("http/raw", port, f.raw(2048), False)
        if kind == 1:
            line = f"{f.text(8)} {f.text(40)} {f.pick(['HTTP/1.1', 'HTTP/1.0', 'HTTP/9.9', 'HTTX/1', ''])}\r\n"
            headers = "".join(f"{f.text(10)}: {f.text(30)}\r\n" for _ in range(f.r.randint(0, 5)))
            return HttpProbe(
                "http/bad-request", port, (line + headers + "\r\n").encode("utf-8", "replace") + f.raw(64), False
            )
        if kind == 2:
            data, complete = self.bad_framing()
            return HttpProbe("http/bad-framing", port, data, False, complete)
        return HttpProbe("http/well-formed", port, self.well_formed(), True)

    def well_formed(self) -> bytes:
        f = self.f
        method = f.pick(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "FUZZ"])
        path = "/" + "".join(f.r.choice("abcxyz019-._~%2F") for _ in range(f.r.randint(0, 30)))
        query = "&".join(f"{f.r.choice('abq')}={f.r.randrange(100)}" for _ in range(f.r.randint(0, 3)))
        body = f.raw(256)
        headers = ["Host: 127.0.0.1", f"Content-Length: {len(body)}", "Connection: close"]
        headers += [f"X-Fz-{i}: {f.r.randrange(10**6)}" for i in range(f.r.randint(0, 4))]
        if f.chance(0.2):
            headers += ["Origin: http://example.test", "Access-Control-Request-Method: PUT"]
        head = f"{method} {path}{'?' + query if query else ''} HTTP/1.1\r\n" + "\r\n".join(headers) + "\r\n\r\n"
        return head.encode() + body

    def bad_framing(self) -> tuple[bytes, bool]:
        """A request with broken framing, and whether it is complete (else the server may wait for more)."""
        f = self.f
        choice = f.r.randrange(4)
        if choice == 0:
            return b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * f.pick([9000, 70000]) + b"\r\n\r\n", True
        if choice == 1:
            length = f.pick(["-1", "abc", "99999999999999999999", "10, 11", "500"])
            head = f"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n".encode()
            return head + f.raw(32), length != "500"
        if choice == 2:
            size = f.pick([b"zz", b"-5", b"ffffffffffffffffff", b"3", b""])
            head = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            return head + size + b"\r\n" + f.raw(16), size not in (b"3", b"", b"ffffffffffffffffff")
        return b"GET /" + f.raw(64).replace(b" ", b"_") + b" HTTP/1.1\r\nHost: x\r\n\r\n", True


def shutdown_refused(data: bytes, host_id: str) -> bool:
    """True when a provider following docs/protocol.md §8 step 4 would ignore this shutdown body."""
    if not data.strip():
        return False
    with contextlib.suppress(ValueError, UnicodeDecodeError):
        body = json.loads(data)
        if isinstance(body, dict):
            named = body.get("host_id", "")
            return not (isinstance(named, str) and named in ("", host_id))
    return True
