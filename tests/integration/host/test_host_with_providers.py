"""End to end: the host starts a real capability provider, a link connects an actor to it, the actor uses it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgpack

from host.config import HostConfig
from host.host import Host
from lattice import keys
from lattice.wire import InvocationResponse, LinkDefinition, pack
from tests.integration.host.hostcore_support import EventLog, caller, invoke
from tests.support.guests import proxy_payload, signed_guest, write_module
from tests.support.waiting import wait_until

KEYVALUE = "wasmcloud:keyvalue"
PROVIDER_REF = "python:wasmlattice_keyvalue"
PROVIDER_START_S = 60.0
LINK_SETTLE_S = 5.0


async def test_actor_uses_the_keyvalue_provider_the_host_started(
    nc: Any, host_config: HostConfig, account: keys.KeyPair, cluster_key: keys.KeyPair, tmp_path: Path
) -> None:
    wasm, claims = signed_guest(account, caps=[KEYVALUE])
    actor = claims.subject
    lattice = host_config.lattice
    async with EventLog(nc, lattice) as log:
        async with Host(host_config) as host:
            await host.commands.launch_provider(PROVIDER_REF, "default", None, {})
            (started,) = await log.wait_for("provider_started", timeout_s=PROVIDER_START_S)
            provider = started["data"]["public_key"]
            assert started["data"]["contract_id"] == KEYVALUE
            assert host.commands.runs_provider(provider, "default")
            assert any(c["sub"] == provider and c["contract_id"] == KEYVALUE for c in host.commands.claims())
            await host.commands.launch_actor(write_module(tmp_path, wasm), 1, {})
            await log.wait_for("actors_started")
            bucket = f"kv_{lattice}"
            await host.commands.put_link(LinkDefinition(actor, provider, KEYVALUE, "default", {"BUCKET": bucket}))
            await log.wait_for("linkdef_set", actor_id=actor)
            rpc = caller(nc, lattice, cluster_key)
            put = proxy_payload(
                "default", KEYVALUE, "KeyValue.Set", pack({"key": "answer", "value": "42", "expires": 0})
            )

            async def linked() -> InvocationResponse | None:  # the provider applies linkdefs.put on its own schedule
                stored = await invoke(rpc, actor, "Proxy.Call", put)
                return stored if stored.error != "unlinked actor" else None

            stored = await wait_until(linked, LINK_SETTLE_S, "the provider to apply the link", poll_s=0.05)
            assert stored.error is None
            got = await invoke(
                rpc, actor, "Proxy.Call", proxy_payload("default", KEYVALUE, "KeyValue.Get", pack("answer"))
            )
            assert got.error is None
            assert msgpack.unpackb(got.msg) == {"value": "42", "exists": True}
        (stopped,) = await log.wait_for("provider_stopped", public_key=provider)
    assert stopped["data"]["reason"] == "normal"
