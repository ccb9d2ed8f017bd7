"""The policy hook against a policy service on NATS: start_actor and perform_invocation, deny on silence, changes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from host.config import HostConfig
from host.host import Host
from host.policy import PolicyAction, PolicyClient, PolicyEntity, PolicySettings
from lattice import keys
from lattice.natsconn import flush_all
from tests.integration.host.hostcore_support import CALLER_MODULE, EventLog, caller, invoke
from tests.support.guests import signed_guest, write_module
from tests.support.waiting import wait_until

Rule = Callable[[dict[str, Any]], tuple[bool, str]]


@asynccontextmanager
async def policy_service(nc: Any, topic: str, rule: Rule) -> AsyncIterator[list[dict[str, Any]]]:
    requests: list[dict[str, Any]] = []

    async def answer(msg: Any) -> None:
        body = json.loads(msg.data)
        requests.append(body)
        permitted, message = rule(body)
        await msg.respond(
            json.dumps({"permitted": permitted, "message": message, "requestId": body["requestId"]}).encode()
        )

    sub = await nc.subscribe(topic, cb=answer)
    await flush_all(nc)
    try:
        yield requests
    finally:
        await sub.unsubscribe()


async def test_policy_denies_an_actor_start(
    nc: Any, host_config: HostConfig, account: keys.KeyPair, tmp_path: Path
) -> None:
    topic = f"policy.{host_config.lattice}"
    wasm, claims = signed_guest(account, caps=["wasmcloud:keyvalue"])
    config = replace(host_config, policy_topic=topic)
    deny_starts: Rule = lambda body: (body["action"] != "start_actor", "actors need approval")  # noqa: E731
    async with policy_service(nc, topic, deny_starts) as requests, Host(config) as host:
        async with EventLog(nc, config.lattice) as log:
            await host.commands.launch_actor(write_module(tmp_path, wasm), 1, {})
            (failed,) = await log.wait_for("actors_start_failed")
        assert "actors need approval" in failed["data"]["error"]
        assert host.commands.actors() == []
        (request,) = requests
        assert request["action"] == "start_actor"
        assert request["source"]["publicKey"] == claims.subject
        assert request["source"]["capabilities"] == ["wasmcloud:keyvalue"]
        assert request["host"]["publicKey"] == host.host_id
        assert request["host"]["latticeId"] == config.lattice


async def test_policy_denies_an_invocation_and_caches_decisions(
    nc: Any, host_config: HostConfig, account: keys.KeyPair, cluster_key: keys.KeyPair, tmp_path: Path
) -> None:
    topic = f"policy.{host_config.lattice}"
    wasm, claims = signed_guest(account)
    config = replace(host_config, policy_topic=topic)
    no_calls: Rule = lambda body: (body["action"] != "perform_invocation", "no calls today")  # noqa: E731
    async with policy_service(nc, topic, no_calls) as requests, Host(config) as host:
        async with EventLog(nc, config.lattice) as log:
            await host.commands.launch_actor(write_module(tmp_path, wasm), 1, {})
            await log.wait_for("actors_started")
        rpc = caller(nc, config.lattice, cluster_key)
        for _ in range(3):
            response = await invoke(rpc, claims.subject, "Echo.Echo", b"x")
            assert response.error == f"policy denied perform_invocation for {CALLER_MODULE}: no calls today"
        assert [r["action"] for r in requests] == ["start_actor", "perform_invocation"]
        assert requests[1]["target"]["publicKey"] == claims.subject


async def test_silence_denies_and_changes_override(nc: Any, lattice_prefix: str) -> None:
    topic, changes = f"policy.{lattice_prefix}", f"policy.{lattice_prefix}.changes"
    settings = PolicySettings(topic, timeout_ms=200, changes_topic=changes)
    client = PolicyClient(nc, settings, lambda: {"publicKey": "N"})
    await client.start()
    source, target = PolicyEntity("MSOURCE"), PolicyEntity("MTARGET")
    try:
        silent = await client.evaluate(PolicyAction.PERFORM_INVOCATION, source, target)
        assert (silent.permitted, silent.message) == (False, "policy service did not answer in time")
        allow_all: Rule = lambda body: (True, "fine")  # noqa: E731
        async with policy_service(nc, topic, allow_all) as requests:
            first = await client.evaluate(PolicyAction.PERFORM_INVOCATION, source, target)
            again = await client.evaluate(PolicyAction.PERFORM_INVOCATION, source, target)
        assert first.permitted
        assert again == first
        assert len(requests) == 1
        revoke = {"request_id": first.request_id, "permitted": False, "message": "revoked"}
        await nc.publish(changes, json.dumps(revoke).encode())
        await flush_all(nc)

        async def revoked_now() -> bool:
            return not (await client.evaluate(PolicyAction.PERFORM_INVOCATION, source, target)).permitted

        await wait_until(revoked_now, 5, "the revocation to reach the decision cache")
        revoked = await client.evaluate(PolicyAction.PERFORM_INVOCATION, source, target)
        assert (revoked.permitted, revoked.message) == (False, "revoked")
    finally:
        await client.stop()


async def test_policy_denies_a_provider_start(nc: Any, host_config: HostConfig) -> None:
    topic = f"policy.{host_config.lattice}"
    config = replace(host_config, policy_topic=topic)
    no_providers: Rule = lambda body: (body["action"] != "start_provider", "no providers here")  # noqa: E731
    ref = "python:wasmlattice_keyvalue"
    async with policy_service(nc, topic, no_providers) as requests, Host(config) as host:
        async with EventLog(nc, config.lattice) as log:
            await host.commands.launch_provider(ref, "default", None, {})
            (failed,) = await log.wait_for("provider_start_failed", provider_ref=ref)
        assert "no providers here" in failed["data"]["error"]
        assert host.commands.providers() == []
        (request,) = requests
        assert request["action"] == "start_provider"
        assert request["source"]["contractId"] == "wasmcloud:keyvalue"
        assert request["source"]["linkName"] == "default"
