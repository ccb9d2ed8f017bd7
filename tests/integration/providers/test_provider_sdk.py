"""The provider SDK, end to end: real provider processes (greeter_provider.py, probe_provider.py) with HostData
on stdin, called over a real nats-server as a linked actor would."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator

import msgspec
import pytest
from nats.aio.client import Client

from lattice import keys, subjects
from lattice.interfaces import SetRequest
from lattice.rpc import RpcClient, RpcSettings
from lattice.subjects import ProviderChannel
from lattice.wire import Invocation, InvocationResponse, LinkDefinition, WasmCloudEntity, antiforgery, pack, unpack
from tests.integration.providers.providers_harness import (
    HERE,
    ActorCaller,
    LatticeSpec,
    ProviderProcess,
    StandInActor,
    new_actor,
    new_provider_key,
)
from tests.support.waiting import wait_until

GREETER = "example:greeter"
PROBE = "test:probe"


def link_to(actor: str, provider_key: str, contract: str, **values: str) -> LinkDefinition:
    return LinkDefinition(actor, provider_key, contract, "default", values)


@pytest.fixture
async def greeter(nc: Client, lattice: LatticeSpec) -> AsyncIterator[tuple[ProviderProcess, str]]:
    """The docs' greeter with one actor linked through HostData (greeting "Howdy")."""
    pk, actor = new_provider_key(), new_actor()
    proc = ProviderProcess.script(
        "greeter_provider.py", lattice.host_data(pk, [link_to(actor, pk, GREETER, GREETING="Howdy")])
    )
    await proc.start()
    try:
        await proc.wait_ready(nc)
        yield proc, actor
    finally:
        await proc.kill()


@pytest.fixture
async def probe(nc: Client, lattice: LatticeSpec) -> AsyncIterator[tuple[ProviderProcess, str]]:
    pk, actor = new_provider_key(), new_actor()
    proc = ProviderProcess.script("probe_provider.py", lattice.host_data(pk, [link_to(actor, pk, PROBE)]))
    await proc.start()
    try:
        await proc.wait_ready(nc)
        yield proc, actor
    finally:
        await proc.kill()


def caller(nc: Client, lattice: LatticeSpec, proc: ProviderProcess, actor: str, contract: str) -> ActorCaller:
    return ActorCaller(nc, lattice, WasmCloudEntity.provider(proc.host_data.provider_key, contract, "default"), actor)


async def test_greeter_answers_a_linked_actor_with_its_link_values(
    nc: Client, lattice: LatticeSpec, greeter: tuple[ProviderProcess, str]
) -> None:
    proc, actor = greeter
    result = await caller(nc, lattice, proc, actor, GREETER).call("Greeter.Greet", pack("World"))
    assert unpack(result) == "Howdy, World!"


async def test_unlinked_actor_gets_the_unlinked_actor_error(
    nc: Client, lattice: LatticeSpec, greeter: tuple[ProviderProcess, str]
) -> None:
    proc, _ = greeter
    response = await caller(nc, lattice, proc, new_actor(), GREETER).invoke("Greeter.Greet", pack("World"))
    assert response.error == "unlinked actor"


async def test_link_put_then_delete_over_nats(
    nc: Client, lattice: LatticeSpec, greeter: tuple[ProviderProcess, str]
) -> None:
    proc, _ = greeter
    actor = new_actor()
    link = link_to(actor, proc.host_data.provider_key, GREETER, greeting="Hi")
    call = caller(nc, lattice, proc, actor, GREETER)

    async def greets() -> bool:
        return (await call.invoke("Greeter.Greet", pack("A"))).error is None

    await proc.put_link(nc, link)
    await wait_until(greets, what="link put applied")
    assert unpack(await call.call("Greeter.Greet", pack("A"))) == "Hi, A!"
    assert unpack(await call.call("Greeter.Count", b"")) == 2
    await proc.del_link(nc, link)

    async def unlinked() -> bool:
        return (await call.invoke("Greeter.Greet", pack("A"))).error == "unlinked actor"

    await wait_until(unlinked, what="link delete applied")


async def test_refused_link_is_not_kept_and_is_reported_in_health(
    nc: Client, lattice: LatticeSpec, greeter: tuple[ProviderProcess, str]
) -> None:
    proc, linked = greeter
    actor = new_actor()
    await proc.put_link(nc, link_to(actor, proc.host_data.provider_key, GREETER, greeting="x" * 41))

    async def reported() -> bool:
        return "longer than 40" in ((await proc.health(nc)).message or "")

    await wait_until(reported, what="refusal reported by health")
    response = await caller(nc, lattice, proc, actor, GREETER).invoke("Greeter.Greet", pack("A"))
    assert response.error == "unlinked actor"
    assert unpack(await caller(nc, lattice, proc, linked, GREETER).call("Greeter.Greet", pack("B"))) == "Howdy, B!"


async def test_duplicate_link_puts_call_the_hook_once_and_changed_values_replace_the_link(
    nc: Client, lattice: LatticeSpec, probe: tuple[ProviderProcess, str]
) -> None:
    proc, linked = probe
    actor = new_actor()
    link = link_to(actor, proc.host_data.provider_key, PROBE, k="1")
    for _ in range(3):  # every host of a lattice publishes each link
        await proc.put_link(nc, link)
    await proc.put_link(nc, link_to(actor, proc.host_data.provider_key, PROBE, k="2"))
    call = caller(nc, lattice, proc, linked, PROBE)

    async def hooks() -> dict[str, list[str]]:
        result: dict[str, list[str]] = unpack(await call.call("Probe.Hooks", b""))
        return result

    async def settled() -> bool:
        return len((await hooks())["puts"]) == 3

    await wait_until(settled, what="second put applied")
    result = await hooks()
    assert result["puts"][1:] == [f"{actor}:[('k', '1')]", f"{actor}:[('k', '2')]"]
    assert result["deletes"] == [actor]


async def test_unknown_operation_is_an_error_reply(
    nc: Client, lattice: LatticeSpec, probe: tuple[ProviderProcess, str]
) -> None:
    proc, actor = probe
    response = await caller(nc, lattice, proc, actor, PROBE).invoke("Probe.Nope", b"")
    assert response.error is not None
    assert "'Probe.Nope' is not handled" in response.error


@pytest.mark.parametrize(
    ("operation", "payload", "expected"),
    [
        ("Probe.Echo", b"\xc1", "cannot decode Probe.Echo payload"),
        ("Probe.Sleep", pack("ten"), "payload must be an integer, got a string"),
        ("Probe.Set", pack({"key": "k", "value": 5}), "SetRequest.value must be a string"),
        ("Probe.Set", pack({"key": "k", "value": "v", "expires": -1}), "SetRequest.expires = -1 is out of range"),
        ("Probe.Set", pack(["k", "v"]), "SetRequest must be a msgpack map"),
        ("Probe.Sleep", b"", "payload is empty"),
    ],
)
async def test_bad_payloads_are_clean_error_replies(
    nc: Client, lattice: LatticeSpec, probe: tuple[ProviderProcess, str], operation: str, payload: bytes, expected: str
) -> None:
    proc, actor = probe
    response = await caller(nc, lattice, proc, actor, PROBE).invoke(operation, payload)
    assert response.error is not None
    assert expected in response.error
    assert "Traceback" not in response.error


async def test_typed_struct_payload_round_trips(
    nc: Client, lattice: LatticeSpec, probe: tuple[ProviderProcess, str]
) -> None:
    proc, actor = probe
    msg = SetRequest("k", "v", 7).encode()
    assert unpack(await caller(nc, lattice, proc, actor, PROBE).call("Probe.Set", msg)) == "k=v (7s)"


async def test_handler_failures_are_clean_strings_and_the_provider_keeps_serving(
    nc: Client, lattice: LatticeSpec, probe: tuple[ProviderProcess, str]
) -> None:
    proc, actor = probe
    call = caller(nc, lattice, proc, actor, PROBE)
    failed = await call.invoke("Probe.Fail", pack("disk full"))
    crashed = await call.invoke("Probe.Crash", b"")
    assert failed.error == "disk full"
    assert crashed.error == "Probe.Crash failed: internal error (ZeroDivisionError)"
    assert await call.call("Probe.Echo", pack(b"still here")) == pack(b"still here")

    async def logged() -> bool:  # the traceback goes to the provider's own log, not to the caller
        return "ZeroDivisionError" in proc.stderr and "Traceback" in proc.stderr

    await wait_until(logged, what="traceback in the provider log")


async def test_forged_invocations_are_rejected(
    nc: Client, lattice: LatticeSpec, probe: tuple[ProviderProcess, str]
) -> None:
    proc, actor = probe
    target = WasmCloudEntity.provider(proc.host_data.provider_key, PROBE, "default")
    stranger = keys.KeyPair.create(keys.KeyType.CLUSTER)
    rogue = RpcClient(nc, RpcSettings(lattice.prefix, lattice.host_id, stranger))
    response = await rogue.invoke(WasmCloudEntity.actor(actor), target, "Probe.Echo", pack(b"x"))
    assert response.error is not None
    assert "not a trusted cluster issuer" in response.error
    good = await lattice.rpc(nc).invoke(WasmCloudEntity.actor(actor), target, "Probe.Echo", pack(b"x"))
    assert good.error is None
    assert good.msg == pack(b"x")


async def test_tampered_payload_is_rejected(
    nc: Client, lattice: LatticeSpec, probe: tuple[ProviderProcess, str]
) -> None:
    proc, actor = probe
    target = WasmCloudEntity.provider(proc.host_data.provider_key, PROBE, "default")
    inv = antiforgery.sign(
        WasmCloudEntity.actor(actor), target, "Probe.Echo", pack(b"x"), lattice.cluster, lattice.host_id
    )
    forged = msgspec.structs.replace(inv, msg=pack(b"y"))
    subject = subjects.provider_rpc(lattice.prefix, proc.host_data.provider_key, "default")
    reply = InvocationResponse.decode((await nc.request(subject, forged.encode(), timeout=2)).data)
    assert reply.error is not None
    assert "hash does not match" in reply.error


async def test_malformed_invocation_bytes_get_an_error_reply(
    nc: Client, lattice: LatticeSpec, probe: tuple[ProviderProcess, str]
) -> None:
    proc, _ = probe
    subject = subjects.provider_rpc(lattice.prefix, proc.host_data.provider_key, "default")
    reply = InvocationResponse.decode((await nc.request(subject, b"\x93\x01", timeout=2)).data)
    assert reply.error is not None
    assert reply.error.startswith("malformed invocation")


async def test_provider_calls_a_linked_actor_with_a_signed_invocation(
    nc: Client, lattice: LatticeSpec, probe: tuple[ProviderProcess, str]
) -> None:
    proc, actor = probe

    async def hear(inv: Invocation, payload: bytes) -> bytes:
        return payload.upper()

    stand_in = await StandInActor(nc, lattice, hear, actor).start()
    try:
        result = await caller(nc, lattice, proc, actor, PROBE).call("Probe.Relay", pack("ping"))
    finally:
        await stand_in.stop()
    assert unpack(result) == b"PING"
    (inv,) = stand_in.received
    assert inv.origin == WasmCloudEntity.provider(proc.host_data.provider_key, PROBE, "default")
    assert inv.operation == "Probe.Hear"
    assert stand_in.forged == []


async def test_actor_errors_and_absence_reach_the_caller_as_strings(
    nc: Client, lattice: LatticeSpec, probe: tuple[ProviderProcess, str]
) -> None:
    proc, actor = probe
    call = caller(nc, lattice, proc, actor, PROBE)
    nobody = await call.invoke("Probe.Relay", pack("ping"), timeout_ms=5000)
    assert nobody.error is not None
    assert "request timeout" in nobody.error

    async def refuse(inv: Invocation, payload: bytes) -> bytes:
        raise ValueError("no thanks")

    stand_in = await StandInActor(nc, lattice, refuse, actor).start()
    try:
        failed = await call.invoke("Probe.Relay", pack("ping"))
    finally:
        await stand_in.stop()
    assert failed.error == "actor error: no thanks"


async def test_health_answers_healthy(nc: Client, probe: tuple[ProviderProcess, str]) -> None:
    proc, _ = probe
    assert (await proc.health(nc)).healthy is True


async def test_shutdown_for_another_host_is_ignored(
    nc: Client, lattice: LatticeSpec, probe: tuple[ProviderProcess, str]
) -> None:
    proc, _actor = probe
    other = keys.KeyPair.create(keys.KeyType.SERVER).public_key
    assert (await proc.shutdown(nc, other)).startswith(b"shutdown ignored")
    assert (await proc.health(nc)).healthy is True


async def test_shutdown_for_our_host_stops_the_process_cleanly(nc: Client, probe: tuple[ProviderProcess, str]) -> None:
    proc, _ = probe
    assert await proc.shutdown(nc) == b"shutting down"
    assert await proc.wait_exit() == 0
    assert "Traceback" not in proc.stderr


async def test_unusable_host_data_exits_with_a_clean_message(lattice: LatticeSpec) -> None:
    hd = lattice.host_data(new_provider_key())
    proc = ProviderProcess.script("greeter_provider.py", hd)
    proc.host_data = msgspec.structs.replace(hd, invocation_seed="SCNOTASEED")
    await proc.start()
    code = await proc.wait_exit()
    assert code == 1
    assert "invocation_seed is not a cluster seed" in proc.stderr
    assert "Traceback" not in proc.stderr


async def test_garbage_on_stdin_exits_with_usage_error() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(HERE / "greeter_provider.py"), stdin=-1, stdout=-3, stderr=-1
    )
    _, err = await asyncio.wait_for(proc.communicate(b"not base64 json\n"), 15)
    assert proc.returncode == 2
    assert b"host data from stdin is unusable" in err
    assert b"Traceback" not in err


async def test_shutdown_body_that_is_not_json_is_ignored(nc: Client, probe: tuple[ProviderProcess, str]) -> None:
    proc, _ = probe
    reply = await nc.request(proc.channel(ProviderChannel.SHUTDOWN), b"{nope", timeout=2)
    assert reply.data.startswith(b"shutdown ignored")
    assert (await proc.health(nc)).healthy is True


def test_the_docs_example_is_this_file() -> None:
    docs = (HERE.parents[2] / "docs" / "providers.md").read_text()
    block = docs.split("```python\n", 1)[1].split("```", 1)[0]
    assert block == (HERE / "greeter_provider.py").read_text()
