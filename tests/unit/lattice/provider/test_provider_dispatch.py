"""The inbound pipeline without NATS: each step's verdict, as an InvocationResponse (never an exception)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from lattice import keys
from lattice.provider import OperationFailed, Provider, ProviderContext, operation
from lattice.provider.dispatch import Dispatcher, invocation_id_of
from lattice.provider.links import LinkTable
from lattice.rpc import RpcClient, RpcSettings
from lattice.wire import HostData, Invocation, LinkDefinition, WasmCloudEntity, antiforgery, pack, unpack

CLUSTER = keys.KeyPair.create(keys.KeyType.CLUSTER)
PROVIDER = keys.KeyPair.create(keys.KeyType.SERVICE).public_key
HOST = keys.KeyPair.create(keys.KeyType.SERVER).public_key
ACTOR = keys.KeyPair.create(keys.KeyType.MODULE).public_key


class Calc(Provider):
    contract_id = "test:calc"

    @operation("Calc.Double")
    async def double(self, actor_id: str, payload: int) -> int:
        return payload * 2

    @operation("Calc.Refuse")
    async def refuse(self, actor_id: str, payload: str) -> None:
        raise OperationFailed(f"refused: {payload}")

    @operation("Calc.Bug")
    async def bug(self, actor_id: str) -> None:
        raise KeyError("secret internals")


class NoNats:
    """Small payloads never touch NATS; the object store is only opened for chunked ones."""

    def jetstream(self, **_: Any) -> object:
        return object()


def dispatcher() -> Dispatcher:
    hd = HostData(HOST, "lat", "default", PROVIDER, CLUSTER.seed, cluster_issuers=(CLUSTER.public_key,))
    links = LinkTable()
    links.put(LinkDefinition(ACTOR, PROVIDER, "test:calc"))
    rpc = RpcClient(NoNats(), RpcSettings("lat", HOST, CLUSTER))
    return Dispatcher(Calc(ProviderContext(hd, NoNats(), rpc, links)))


def signed(
    operation: str, msg: bytes, *, actor: str = ACTOR, key: keys.KeyPair = CLUSTER, target: str = PROVIDER
) -> bytes:
    inv = antiforgery.sign(
        WasmCloudEntity.actor(actor),
        WasmCloudEntity.provider(target, "test:calc", "default"),
        operation,
        msg,
        key,
        HOST,
    )
    return inv.encode()


async def test_a_good_invocation_gets_its_result() -> None:
    data = signed("Calc.Double", pack(21))
    reply = await dispatcher().answer(data)
    assert reply.error is None
    assert unpack(reply.msg) == 42
    assert reply.invocation_id == Invocation.decode(data).id


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (signed("Calc.Double", pack(1), actor=keys.KeyPair.create(keys.KeyType.MODULE).public_key), "unlinked actor"),
        (signed("Calc.Double", pack(1), key=keys.KeyPair.create(keys.KeyType.CLUSTER)), "not a trusted cluster issuer"),
        (
            signed("Calc.Double", pack(1), target=keys.KeyPair.create(keys.KeyType.SERVICE).public_key),
            "not this provider",
        ),
        (signed("Calc.Nope", b""), "'Calc.Nope' is not handled by test:calc provider"),
        (
            signed("Calc.Double", pack("two")),
            "cannot decode Calc.Double payload: payload must be an integer, got a string",
        ),
        (signed("Calc.Refuse", pack("no")), "refused: no"),
        (signed("Calc.Bug", b""), "Calc.Bug failed: internal error (KeyError)"),
        (b"\x01", "malformed invocation"),
    ],
)
async def test_every_failure_is_an_error_reply(data: bytes, error: str) -> None:
    reply = await dispatcher().answer(data)
    assert reply.error is not None
    assert error in reply.error
    assert "secret internals" not in reply.error


async def test_a_tampered_payload_is_refused() -> None:
    inv = Invocation.decode(signed("Calc.Double", pack(1)))
    forged = msgspec.structs.replace(inv, msg=pack(1000))
    reply = await dispatcher().answer(forged.encode())
    assert reply.error is not None
    assert "payload was altered" in reply.error


def test_invocation_id_of_reads_what_it_can() -> None:
    assert invocation_id_of(pack({"id": "abc"})) == "abc"
    assert invocation_id_of(pack([1])) == ""
    assert invocation_id_of(b"\xc1") == ""
