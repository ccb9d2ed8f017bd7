"""Start failures become events (nothing runs, the host keeps serving); live update: higher rev only, no drops."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from host.config import HostConfig
from host.host import Host
from lattice import keys, subjects
from lattice.claims import ActorSpec, sign_module
from tests.integration.host.hostcore_support import EventLog, caller, invoke
from tests.support.guests import signed_guest, unsigned_module, write_module


def tampered(account: keys.KeyPair) -> bytes:
    wasm, _ = signed_guest(account)
    at = wasm.index(b"unknown operation")
    return wasm[:at] + b"U" + wasm[at + 1 :]


def unsigned(account: keys.KeyPair) -> bytes:
    return unsigned_module()


def expired(account: keys.KeyPair) -> bytes:
    return signed_guest(account, expires_in_s=-60)[0]


def not_yet_valid(account: keys.KeyPair) -> bytes:
    return signed_guest(account, not_before_in_s=3600)[0]


def no_guest_call(account: keys.KeyPair) -> bytes:
    return sign_module(b"\0asm\x01\0\0\0", ActorSpec(name="empty module"), account)[0]


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (tampered, "altered after signing"),
        (unsigned, "not signed"),
        (expired, "expired"),
        (not_yet_valid, "not valid before"),
        (no_guest_call, "actor module rejected"),
    ],
    ids=["tampered", "unsigned", "expired", "not-yet-valid", "no-guest-call"],
)
async def test_start_failures_are_reported_as_events(
    make: Any,
    fragment: str,
    nc: Any,
    host_config: HostConfig,
    account: keys.KeyPair,
    cluster_key: keys.KeyPair,
    tmp_path: Path,
) -> None:
    ref = write_module(tmp_path, make(account), "bad.wasm")
    good, good_claims = signed_guest(account, variant=9)
    async with Host(host_config) as host, EventLog(nc, host_config.lattice) as log:
        await host.commands.launch_actor(ref, 1, {})
        (failed,) = await log.wait_for("actors_start_failed", image_ref=ref)
        (single,) = await log.wait_for("actor_start_failed", actor_ref=ref)
        assert fragment in failed["data"]["error"]
        assert single["data"]["error"] == failed["data"]["error"]
        assert host.commands.actors() == []
        await host.commands.launch_actor(write_module(tmp_path, good, "good.wasm"), 1, {})
        await log.wait_for("actors_started", public_key=good_claims.subject)
        response = await invoke(caller(nc, host_config.lattice, cluster_key), good_claims.subject, "Echo.Echo", b"ok")
        assert response.msg == b"ok"


async def test_actor_issuers_allow_list(
    nc: Any, host_config: HostConfig, account: keys.KeyPair, tmp_path: Path
) -> None:
    from dataclasses import replace

    other = keys.KeyPair.create(keys.KeyType.ACCOUNT)
    ref = write_module(tmp_path, signed_guest(other)[0])
    async with Host(replace(host_config, actor_issuers=(account.public_key,))) as host:
        async with EventLog(nc, host_config.lattice) as log:
            await host.commands.launch_actor(ref, 1, {})
            (failed,) = await log.wait_for("actors_start_failed")
        assert "not in the allowed issuers" in failed["data"]["error"]


async def test_live_update_to_a_higher_revision_drops_nothing(
    nc: Any, host_config: HostConfig, account: keys.KeyPair, cluster_key: keys.KeyPair, tmp_path: Path
) -> None:
    module_key = keys.KeyPair.create(keys.KeyType.MODULE)
    v1, _ = signed_guest(account, module_key=module_key, rev=1)
    v2, _ = signed_guest(account, module_key=module_key, rev=2, variant=2)
    pk = module_key.public_key
    lattice = host_config.lattice
    async with Host(host_config) as host, EventLog(nc, lattice) as log:
        await host.commands.launch_actor(write_module(tmp_path, v1, "v1.wasm"), 2, {})
        await log.wait_for("actors_started", public_key=pk)
        rpc = caller(nc, lattice, cluster_key)
        answers: list[bytes | None] = []
        done = asyncio.Event()

        async def traffic() -> None:
            i = 0
            while not done.is_set():
                response = await invoke(rpc, pk, "Echo.Echo", b"%d" % i)
                answers.append(response.msg if response.error is None else None)
                i += 1

        workers = [asyncio.create_task(traffic()) for _ in range(4)]
        await asyncio.sleep(0.1)
        v2_ref = write_module(tmp_path, v2, "v2.wasm")
        await host.commands.update_actor(pk, v2_ref, {})
        updated = await log.wait_for("actor_updated", times=2, public_key=pk)
        await asyncio.sleep(0.1)
        done.set()
        await asyncio.gather(*workers)
        assert {e["data"]["revision"] for e in updated} == {2}
        assert len(answers) > 10
        assert None not in answers
        (info,) = host.commands.actors()
        assert (info.image_ref, {i.revision for i in info.instances}) == (v2_ref, {2})
        kv = await nc.jetstream().key_value(subjects.lattice_bucket(lattice))
        assert json.loads((await kv.get(subjects.claims_key(pk))).value)["rev"] == "2"


async def test_live_update_to_a_lower_revision_is_refused(
    nc: Any, host_config: HostConfig, account: keys.KeyPair, cluster_key: keys.KeyPair, tmp_path: Path
) -> None:
    module_key = keys.KeyPair.create(keys.KeyType.MODULE)
    v5, _ = signed_guest(account, module_key=module_key, rev=5)
    v3, _ = signed_guest(account, module_key=module_key, rev=3, variant=3)
    stranger, _ = signed_guest(account, rev=9, variant=4)
    pk = module_key.public_key
    async with Host(host_config) as host, EventLog(nc, host_config.lattice) as log:
        v5_ref = write_module(tmp_path, v5, "v5.wasm")
        await host.commands.launch_actor(v5_ref, 1, {})
        await log.wait_for("actors_started", public_key=pk)
        await host.commands.update_actor(pk, write_module(tmp_path, v3, "v3.wasm"), {})
        (failed,) = await log.wait_for("actor_update_failed", public_key=pk)
        assert failed["data"]["reason"] == "revision 3 is not higher than the running revision 5"
        await host.commands.update_actor(pk, write_module(tmp_path, stranger, "other.wasm"), {})
        (_, other) = await log.wait_for("actor_update_failed", times=2, public_key=pk)
        assert other["data"]["reason"].endswith(f", not {pk}")
        (info,) = host.commands.actors()
        assert (info.image_ref, info.instances[0].revision) == (v5_ref, 5)
        response = await invoke(caller(nc, host_config.lattice, cluster_key), pk, "Echo.Echo", b"v5")
        assert response.msg == b"v5"
        assert log.named("actor_updated") == []


async def test_updating_to_the_module_already_running_is_not_an_error(
    nc: Any, host_config: HostConfig, account: keys.KeyPair, tmp_path: Path
) -> None:
    module_key = keys.KeyPair.create(keys.KeyType.MODULE)
    v5, _ = signed_guest(account, module_key=module_key, rev=5)
    v3, _ = signed_guest(account, module_key=module_key, rev=3, variant=3)
    pk = module_key.public_key
    async with Host(host_config) as host, EventLog(nc, host_config.lattice) as log:
        await host.commands.launch_actor(write_module(tmp_path, v5, "v5.wasm"), 1, {})
        await log.wait_for("actors_started", public_key=pk)
        await host.commands.update_actor(pk, write_module(tmp_path, v5, "again.wasm"), {})
        await host.commands.update_actor(pk, write_module(tmp_path, v3, "v3.wasm"), {})
        (failed,) = await log.wait_for("actor_update_failed", public_key=pk)
        assert failed["data"]["revision"] == 3, "the same-revision update of the same module must not fail"
