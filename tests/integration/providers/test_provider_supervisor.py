"""ProviderSupervisor with real provider processes: python: refs and PAR files, HostData links, health events,
restart after SIGKILL with the links handed over again, and stop through the shutdown request."""

from __future__ import annotations

import gzip
import io
import logging
import os
import signal
import sys
import tarfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client

from host.providers import (
    HostDataNats,
    HostIdentity,
    ProviderNotRunning,
    ProviderSources,
    ProviderStartFailed,
    ProviderSupervisor,
    SupervisorHooks,
    SupervisorTimings,
)
from lattice import keys
from lattice.claims import ProviderClaims, ProviderMetadata
from lattice.interfaces import GetResponse, SetRequest
from lattice.oci.provenance import Provenance, SourceKind
from lattice.provider.claims import module_claims
from lattice.provider.par import create_par, native_target
from lattice.wire import LinkDefinition, WasmCloudEntity, pack
from tests.support.providers_harness import ActorCaller, LatticeSpec, new_actor
from tests.support.waiting import wait_until

KV_REF = "python:wasmlattice_keyvalue"
KV_CONTRACT = "wasmcloud:keyvalue"
FAST = SupervisorTimings(
    health_first_s=0.2, health_interval_s=0.3, backoff_first_s=0.2, backoff_max_s=1.0, exit_grace_s=3.0
)


@dataclass
class Harness:
    sup: ProviderSupervisor
    nc: Client
    lattice: LatticeSpec
    state_dir: Path
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    links: list[LinkDefinition] = field(default_factory=list)
    stored: list[ProviderClaims] = field(default_factory=list)

    def named(self, name: str) -> list[dict[str, Any]]:
        return [data for event, data in self.events if event == name]

    async def wait_event(self, name: str, count: int = 1, timeout_s: float = 15) -> dict[str, Any]:
        async def seen() -> bool:
            return len(self.named(name)) >= count

        await wait_until(seen, timeout_s, what=f"{count} × {name}")
        return self.named(name)[count - 1]


@pytest.fixture
async def harness(nc: Client, lattice: LatticeSpec, nats_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    holder: list[Harness] = []

    async def publish(name: str, data: dict[str, Any]) -> None:
        holder[0].events.append((name, data))

    def links_for(provider_id: str, link_name: str) -> list[LinkDefinition]:
        return [ld for ld in holder[0].links if ld.provider_id == provider_id and ld.link_name == link_name]

    async def store_claims(claims: ProviderClaims) -> None:
        holder[0].stored.append(claims)

    host = HostIdentity(lattice.host_id, lattice.prefix, lattice.cluster.seed, (lattice.cluster.public_key,), 2000,
                        HostDataNats(url=nats_url))  # fmt: skip
    hooks = SupervisorHooks(publish, links_for, store_claims)
    async with ProviderSupervisor(nc, host, hooks, ProviderSources(tmp_path / "state", True), FAST) as sup:
        holder.append(Harness(sup, nc, lattice, tmp_path / "state"))
        yield holder[0]


def kv_link(h: Harness, actor: str) -> LinkDefinition:
    key = module_claims("wasmlattice_keyvalue").subject
    return LinkDefinition(actor, key, KV_CONTRACT, "default", {"BUCKET": f"{h.lattice.prefix}_sup"})


def kv_caller(h: Harness, actor: str) -> ActorCaller:
    key = module_claims("wasmlattice_keyvalue").subject
    return ActorCaller(h.nc, h.lattice, WasmCloudEntity.provider(key, KV_CONTRACT, "default"), actor)


async def test_start_kill_restart_with_links_then_stop(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="host.providers.output")
    actor = new_actor()
    harness.links.append(kv_link(harness, actor))
    info = await harness.sup.start(KV_REF, "default", None, {"app": "demo"})
    key = module_claims("wasmlattice_keyvalue").subject
    assert (info.id, info.contract_id, info.link_name, info.image_ref) == (key, KV_CONTRACT, "default", KV_REF)
    assert info.annotations == {"app": "demo", **Provenance(SourceKind.PYTHON).annotations()}
    started = harness.named("provider_started")[0]
    assert started["public_key"] == key
    assert started["instance_id"] == info.instance_id
    assert started["host_id"] == harness.lattice.host_id
    assert started["claims"]["issuer"] == module_claims("wasmlattice_keyvalue").issuer
    assert [c.subject for c in harness.stored] == [key]
    assert harness.sup.list() == [info]
    assert harness.sup.runs(KV_REF, "default")
    assert harness.sup.runs(key, "default")
    assert not harness.sup.runs(key, "other")

    kv = kv_caller(harness, actor)
    await kv.call("KeyValue.Set", SetRequest("k", "before-kill").encode())
    pid = harness.sup.process_id(key, "default")
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    stopped = await harness.wait_event("provider_stopped")
    assert stopped["reason"] == "killed by SIGKILL"
    await harness.wait_event("provider_started", count=2)
    assert harness.sup.process_id(key, "default") not in (None, pid)
    reply = GetResponse.decode(await kv.call("KeyValue.Get", pack("k")))  # linked again through HostData
    assert reply == GetResponse("before-kill", True)

    await harness.sup.stop(key, "default")
    assert harness.named("provider_stopped")[-1]["reason"] == "normal"
    assert harness.sup.list() == []
    assert "shutdown requested by host" in caplog.text
    assert f"[provider {key} default]" in caplog.text
    await harness.nc.jetstream().delete_key_value(f"{harness.lattice.prefix}_sup")


async def test_health_events_passed_then_status(harness: Harness) -> None:
    await harness.sup.start(KV_REF, "default", None, {})
    passed = await harness.wait_event("health_check_passed")
    await harness.wait_event("health_check_status")
    assert passed == {
        "public_key": module_claims("wasmlattice_keyvalue").subject,
        "contract_id": KV_CONTRACT,
        "link_name": "default",
    }
    assert harness.named("health_check_failed") == []


async def test_second_start_of_the_same_provider_and_link_fails(harness: Harness) -> None:
    await harness.sup.start(KV_REF, "default", None, {})
    with pytest.raises(ProviderStartFailed, match="already runs"):
        await harness.sup.start(KV_REF, "default", None, {})
    other = await harness.sup.start(KV_REF, "second", None, {})
    assert other.link_name == "second"
    assert len(harness.sup.list()) == 2


@pytest.mark.parametrize(
    ("ref", "reason"),
    [
        ("python:no_such_module_here", "no installed Python module"),
        ("python:not a module", "does not name a Python module"),
        ("python:json", "cannot read provider claims"),
        ("bindle://registry/x:1", "unsupported provider reference"),
        ("registry.example.com/x:1.0", "no registry client"),
        ("/nonexistent/x.par.gz", "cannot read provider archive"),
    ],
)
async def test_unusable_refs_fail_with_an_event(harness: Harness, ref: str, reason: str) -> None:
    with pytest.raises(ProviderStartFailed, match=reason):
        await harness.sup.start(ref, "default", None, {})
    (failed,) = harness.named("provider_start_failed")
    assert failed["provider_ref"] == ref
    assert failed["link_name"] == "default"
    assert reason in failed["error"]


async def test_file_refs_need_allow_file_load(harness: Harness, tmp_path: Path) -> None:
    harness.sup.sources = ProviderSources(harness.state_dir, allow_file_load=False)
    with pytest.raises(ProviderStartFailed, match="not allowed on this host"):
        await harness.sup.start(str(tmp_path / "x.par.gz"), "default", None, {})


async def test_stop_of_an_unknown_provider(harness: Harness) -> None:
    with pytest.raises(ProviderNotRunning):
        await harness.sup.stop(keys.KeyPair.create(keys.KeyType.SERVICE).public_key, "default")


# --- provider archives ---------------------------------------------------------------------------------------------


def script(body: str) -> bytes:
    return f"#!/bin/sh\n{body}\n".encode()


def make_par(path: Path, binaries: dict[str, bytes]) -> str:
    issuer = keys.KeyPair.create(keys.KeyType.ACCOUNT)
    provider_key = keys.KeyPair.create(keys.KeyType.SERVICE).public_key
    meta = ProviderMetadata(name="KV from a PAR", capid=KV_CONTRACT, vendor="tests", rev=3, ver="0.0.1")
    path.write_bytes(create_par(binaries, issuer, provider_key, meta))
    return provider_key


async def test_par_file_runs_the_binary_for_this_platform(harness: Harness, tmp_path: Path) -> None:
    par = tmp_path / "kv.par.gz"
    key = make_par(par, {native_target(): script(f"exec {sys.executable} -m wasmlattice_keyvalue")})
    info = await harness.sup.start(f"file://{par}", "default", None, {})
    assert (info.id, info.revision, info.name, info.image_ref) == (key, 3, "KV from a PAR", f"file://{par}")
    binary = harness.state_dir / key / "3" / "wasmcloud_keyvalue_default"
    assert binary.is_file()
    assert os.access(binary, os.X_OK)


async def test_par_with_an_altered_binary_is_refused(harness: Harness, tmp_path: Path) -> None:
    par = tmp_path / "kv.par.gz"
    make_par(par, {native_target(): script("exit 0")})
    raw = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(gzip.decompress(par.read_bytes()))) as src,
        tarfile.open(fileobj=raw, mode="w:") as dst,
    ):
        for member in src.getmembers():
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            if member.name.endswith(".bin"):
                data = data.replace(b"exit 0", b"exit 1")
            dst.addfile(member, io.BytesIO(data))
    par.write_bytes(raw.getvalue())
    with pytest.raises(ProviderStartFailed, match="does not match its signed hash"):
        await harness.sup.start(str(par), "default", None, {})


async def test_par_without_a_binary_for_this_platform_is_refused(harness: Harness, tmp_path: Path) -> None:
    par = tmp_path / "other.par.gz"
    make_par(par, {"riscv64-plan9": script("exit 0")})
    with pytest.raises(ProviderStartFailed, match=f"no binary for {native_target()}"):
        await harness.sup.start(str(par), "default", None, {})


async def test_provider_dying_at_start_fails_with_its_output(harness: Harness, tmp_path: Path) -> None:
    par = tmp_path / "dies.par.gz"
    make_par(par, {native_target(): script("echo 'cannot open the frobnicator' >&2; exit 3")})
    with pytest.raises(ProviderStartFailed, match="exited with code 3") as caught:
        await harness.sup.start(str(par), "default", None, {})
    assert "cannot open the frobnicator" in str(caught.value)
    assert harness.sup.list() == []


async def test_provider_that_never_answers_health_is_killed(harness: Harness, tmp_path: Path) -> None:
    harness.sup.timings = SupervisorTimings(start_timeout_s=1.0)
    par = tmp_path / "mute.par.gz"
    make_par(par, {native_target(): script("echo waiting; exec sleep 30")})
    with pytest.raises(ProviderStartFailed, match="did not answer a health check within 1s") as caught:
        await harness.sup.start(str(par), "default", None, {})
    assert "waiting" in str(caught.value)
    assert harness.sup.list() == []
