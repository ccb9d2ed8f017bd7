"""A host starting actors and providers from the real registry and from the lattice registry: the guest answers,
refmaps and provenance are recorded, the cache spares requests (none when pinned by digest, even with the registry
stopped), the same-ref rule holds on normalised refs, live update pulls, and registries.put credentials work."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
import sys
from asyncio.subprocess import PIPE
from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client

from host.config import HostConfig
from host.host import Host
from lattice import keys, subjects
from lattice.control import ControlClient
from lattice.control.errors import CommandRejectedError
from lattice.control.requests import RegistryCredential
from lattice.oci import Credentials
from lattice.oci.provenance import Provenance, SourceKind
from lattice.provider.par import native_target
from tests.integration.host.hostcore_support import EventLog, caller, invoke
from tests.integration.oci.deploy_support import parrot_par
from tests.integration.oci.host_support import kept_files, make_par, pusher, registry_host_config
from tests.integration.oci.oci_support import REG_PASSWORD, REG_USER
from tests.integration.oci.registry_server import RegistryServer
from tests.support.guests import signed_guest


@pytest.fixture
def account() -> keys.KeyPair:
    return keys.KeyPair.create(keys.KeyType.ACCOUNT)


@pytest.fixture
def config(
    nats_url: str, lattice_prefix: str, cluster_key: keys.KeyPair, registry: RegistryServer, tmp_path: Path
) -> HostConfig:
    return registry_host_config(nats_url, lattice_prefix, cluster_key, tmp_path / "host", [registry.address])


def provenance_of(host: Host, actor_id: str) -> Provenance | None:
    (actor,) = [a for a in host.commands.actors() if a.id == actor_id]
    return Provenance.from_annotations(actor.instances[0].annotations)


async def refmap(nc: Client, lattice: str, ref: str) -> dict[str, Any]:
    kv = await nc.jetstream().key_value(subjects.lattice_bucket(lattice))
    entry = await kv.get(subjects.refmap_key(ref))
    return dict(json.loads(entry.value or b"{}"))


async def test_actors_start_from_both_registries_and_answer(
    nc: Client,
    config: HostConfig,
    registry: RegistryServer,
    repo: str,
    account: keys.KeyPair,
    cluster_key: keys.KeyPair,
) -> None:
    first, first_claims = signed_guest(account, variant=1)
    second, second_claims = signed_guest(account, variant=2)
    oci_ref, lattice_ref = f"{registry.address}/{repo}:1.0.0", f"lattice://{repo}:1.0.0"
    async with pusher(nc, config.lattice, registry.address) as push:
        pushed = await push.push(oci_ref, first)
        await push.push(lattice_ref, second)
    async with Host(config) as host, EventLog(nc, config.lattice) as log:
        for ref, claims in ((oci_ref, first_claims), (lattice_ref, second_claims)):
            await host.commands.launch_actor(ref, 1, {"app": "demo"})
            await log.wait_for("actors_started", public_key=claims.subject, image_ref=ref)
            await log.wait_for("refmap_set", oci_url=ref, public_key=claims.subject)
            assert await refmap(nc, config.lattice, ref) == {"oci_url": ref, "public_key": claims.subject}
            response = await invoke(caller(nc, config.lattice, cluster_key), claims.subject, "Echo.Echo", b"hi")
            assert response.msg == b"hi"
        assert provenance_of(host, first_claims.subject) == Provenance(SourceKind.OCI, pushed.digest, False)
        lattice_source = provenance_of(host, second_claims.subject)
        assert lattice_source is not None
        assert lattice_source.source is SourceKind.LATTICE
        (started,) = log.named("actor_started", public_key=first_claims.subject)
        assert started["data"]["annotations"] == {"app": "demo"}  # provenance is reported, not an annotation given
    assert len(kept_files(config.state_dir)) == 3  # two modules and the OCI manifest, by digest


async def test_more_instances_only_from_the_same_ref_once_normalised(
    nc: Client, config: HostConfig, registry: RegistryServer, repo: str, account: keys.KeyPair
) -> None:
    wasm, claims = signed_guest(account)
    ref, other = f"{registry.address}/{repo}:1.0.0", f"{registry.address}/{repo}:1.0.1"
    async with pusher(nc, config.lattice, registry.address) as push:
        await push.push(ref, wasm)
        await push.push(other, wasm)
    async with Host(config) as host, EventLog(nc, config.lattice) as log:
        await host.commands.launch_actor(ref, 1, {})
        await log.wait_for("actors_started", public_key=claims.subject)
        await host.commands.launch_actor(f"oci://{ref}", 1, {})
        await log.wait_for("actors_started", 2, public_key=claims.subject)
        await host.commands.launch_actor(other, 1, {})
        (failed,) = await log.wait_for("actors_start_failed", image_ref=other)
        assert f"already runs here from {ref}" in failed["data"]["error"]
        assert "live update" in failed["data"]["error"]
        assert [len(a.instances) for a in host.commands.actors()] == [2]


async def test_cached_starts_spare_requests_and_pinned_ones_need_no_registry(
    nc: Client,
    nats_url: str,
    lattice_prefix: str,
    cluster_key: keys.KeyPair,
    registry_binary: str,
    repo: str,
    account: keys.KeyPair,
    tmp_path: Path,
) -> None:
    wasm, claims = signed_guest(account)
    with RegistryServer(tmp_path / "own-registry", binary=registry_binary) as own:
        config = registry_host_config(nats_url, lattice_prefix, cluster_key, tmp_path / "host", [own.address])
        tag_ref = f"{own.address}/{repo}:1.0.0"
        async with pusher(nc, lattice_prefix, own.address) as push:
            pinned_ref = f"{own.address}/{repo}@{(await push.push(tag_ref, wasm)).manifest_digest}"
        async with Host(config) as host, EventLog(nc, lattice_prefix) as log:
            fetcher = host.parts.artifacts

            async def start(ref: str, times: int) -> tuple[Provenance | None, int]:
                """Start, read where the module came from, stop; and how many HTTP requests the start made."""
                before = fetcher.http_requests
                await host.commands.launch_actor(ref, 1, {})
                await log.wait_for("actors_started", times, public_key=claims.subject, image_ref=ref)
                source = provenance_of(host, claims.subject)
                await host.commands.stop_actor(claims.subject, 0, {})
                await log.wait_for("actors_stopped", times, public_key=claims.subject)
                return source, fetcher.http_requests - before

            cold, requests = await start(tag_ref, 1)
            assert cold is not None
            assert (cold.cached, requests) == (False, 2)
            cached = Provenance(SourceKind.OCI, cold.digest, True)
            assert await start(tag_ref, 2) == (cached, 1)  # the manifest only
            assert await start(pinned_ref, 1) == (cached, 0)
            own.stop()
            assert await start(pinned_ref, 2) == (cached, 0)
            await host.commands.launch_actor(tag_ref, 1, {})
            (failed,) = await log.wait_for("actors_start_failed", image_ref=tag_ref)
            assert failed["data"]["error"].startswith(f"{tag_ref}: cannot connect to {own.address}")
            assert host.commands.actors() == []


async def test_live_update_pulls_the_new_revision(
    nc: Client, config: HostConfig, registry: RegistryServer, repo: str, account: keys.KeyPair
) -> None:
    module_key = keys.KeyPair.create(keys.KeyType.MODULE)
    one, claims = signed_guest(account, module_key=module_key, rev=1)
    two, _ = signed_guest(account, module_key=module_key, rev=2, variant=2)
    stranger, stranger_claims = signed_guest(account, variant=3)
    v1, v2, wrong = (f"{registry.address}/{repo}:{tag}" for tag in ("1.0.0", "2.0.0", "9.0.0"))
    async with pusher(nc, config.lattice, registry.address) as push:
        await push.push(v1, one)
        new_digest = (await push.push(v2, two)).digest
        stranger_digest = (await push.push(wrong, stranger)).digest
    async with Host(config) as host, EventLog(nc, config.lattice) as log:
        await host.commands.launch_actor(v1, 1, {})
        await log.wait_for("actors_started", public_key=claims.subject)
        await host.commands.update_actor(claims.subject, wrong, {})
        (refused,) = await log.wait_for("actor_update_failed", public_key=claims.subject)
        assert (
            refused["data"]["reason"] == f"{wrong}: the module is actor {stranger_claims.subject}, not {claims.subject}"
        )
        assert not any(stranger_digest.removeprefix("sha256:") == p.name for p in kept_files(config.state_dir))
        await host.commands.update_actor(claims.subject, v2, {})
        await log.wait_for("actor_updated", public_key=claims.subject, revision=2)
        (actor,) = host.commands.actors()
        assert (actor.image_ref, [i.revision for i in actor.instances]) == (v2, [2])
        assert provenance_of(host, claims.subject) == Provenance(SourceKind.OCI, new_digest, False)


async def test_registries_put_credentials_are_used_and_never_shown(
    nc: Client,
    nats_url: str,
    lattice_prefix: str,
    cluster_key: keys.KeyPair,
    auth_registry: RegistryServer,
    repo: str,
    account: keys.KeyPair,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    wasm, claims = signed_guest(account)
    ref, server = f"{auth_registry.address}/{repo}:1.0.0", auth_registry.address
    async with pusher(nc, lattice_prefix, server, credentials={server: Credentials(REG_USER, REG_PASSWORD)}) as push:
        await push.push(ref, wasm)
    config = registry_host_config(nats_url, lattice_prefix, cluster_key, tmp_path / "host", [server])
    async with Host(config) as host, EventLog(nc, lattice_prefix) as log, ControlClient(nc, lattice_prefix) as ctl:
        errors: list[str] = []
        for password in (None, "not-the-password", REG_PASSWORD):
            if password is not None:
                assert await ctl.put_registries({server: RegistryCredential("oci", REG_USER, password)}) == 1
            await ctl.start_actor(host.host_id, ref)
            if password != REG_PASSWORD:
                errors.append((await log.wait_for("actors_start_failed", len(errors) + 1))[-1]["data"]["error"])
        await log.wait_for("actors_started", public_key=claims.subject)
        assert "send them to the hosts with registries.put" in errors[0]
        assert f"{server} refused the credentials of '{REG_USER}'" in errors[1]
        with pytest.raises(CommandRejectedError, match=re.escape("registries.put: registry 'not a host'")):
            await ctl.put_registries({"not a host": RegistryCredential("oci", REG_USER, "x")})
        shown = json.dumps(
            [(await ctl.get_inventory(host.host_id)).to_json(), [h.to_json() for h in await ctl.ping_hosts()]]
        )
        assert repr(config).count(REG_PASSWORD) == 0
    for secret in (REG_PASSWORD, "not-the-password"):
        assert secret not in shown
        assert secret not in caplog.text
        assert secret not in json.dumps(log.events)


async def test_provider_archive_from_the_registry_runs_with_provenance(
    nc: Client, config: HostConfig, registry: RegistryServer, repo: str
) -> None:
    par, provider_key = make_par(
        {native_target(): f"#!/bin/sh\nexec {sys.executable} -m wasmlattice_keyvalue\n".encode()}, "wasmcloud:keyvalue"
    )
    ref = f"lattice://{repo}-kv:0.1.0"
    async with pusher(nc, config.lattice, registry.address) as push:
        pushed = await push.push(ref, par)
    async with Host(config) as host, EventLog(nc, config.lattice) as log:
        await host.commands.launch_provider(ref, "default", None, {})
        await log.wait_for("provider_started", 1, 30.0, public_key=provider_key, image_ref=ref)
        (info,) = host.commands.providers()
        assert Provenance.from_annotations(info.annotations) == Provenance(SourceKind.LATTICE, pushed.digest, False)
        assert host.commands.runs_provider(ref, "default")
        await host.commands.stop_provider(provider_key, "default", "wasmcloud:keyvalue")
        await log.wait_for("provider_stopped", public_key=provider_key)


async def test_scale_by_ref_alone_reaches_the_count(
    nc: Client, config: HostConfig, registry: RegistryServer, repo: str, account: keys.KeyPair
) -> None:
    """ctl client 0.30+ scales by ref without an actor id: the host finds the actor running from that ref."""
    wasm, claims = signed_guest(account)
    ref = f"lattice://{repo}:1.0.0"
    async with pusher(nc, config.lattice) as push:
        await push.push(ref, wasm)
    async with Host(config) as host, EventLog(nc, config.lattice) as log:
        await host.commands.scale_actor("", ref, 1, {})
        await log.wait_for("actors_started", public_key=claims.subject)
        await host.commands.scale_actor("", ref, 3, {})
        await log.wait_for("actors_started", 2, public_key=claims.subject)
        assert [len(a.instances) for a in host.commands.actors()] == [3]
        await host.commands.scale_actor("", ref, 0, {})
        await log.wait_for("actors_stopped", public_key=claims.subject, remaining=0)
        assert host.commands.actors() == []


async def test_ctl_registry_put_reads_the_password_from_stdin(
    nc: Client,
    nats_url: str,
    lattice_prefix: str,
    cluster_key: keys.KeyPair,
    auth_registry: RegistryServer,
    repo: str,
    account: keys.KeyPair,
    tmp_path: Path,
) -> None:
    wasm, claims = signed_guest(account)
    ref, server = f"{auth_registry.address}/{repo}:1.0.0", auth_registry.address
    async with pusher(nc, lattice_prefix, server, credentials={server: Credentials(REG_USER, REG_PASSWORD)}) as push:
        await push.push(ref, wasm)
    config = registry_host_config(nats_url, lattice_prefix, cluster_key, tmp_path / "host", [server])
    argv = [sys.executable, "-m", "lattice.cli.main", "ctl", "registry", "put", server, "--user", REG_USER]
    argv += ["--password-stdin", "--json", "--nats-url", nats_url, "--lattice", lattice_prefix]
    async with Host(config) as host, EventLog(nc, lattice_prefix) as log:
        proc = await asyncio.create_subprocess_exec(*argv, stdin=PIPE, stdout=PIPE, stderr=PIPE)
        out, err = await proc.communicate(f"{REG_PASSWORD}\n".encode())
        assert proc.returncode == 0, err.decode()
        assert json.loads(out)["hosts"] == 1
        assert REG_PASSWORD not in (out + err).decode()
        await host.commands.launch_actor(ref, 1, {})
        await log.wait_for("actors_started", public_key=claims.subject)


async def test_a_python_provider_archive_file_runs_isolated(nc: Client, config: HostConfig, tmp_path: Path) -> None:
    par, provider_key = parrot_par(tmp_path)
    path = tmp_path / "parrot.par.gz"
    path.write_bytes(par)
    async with Host(dataclasses.replace(config, allow_file_load=True)) as host, EventLog(nc, config.lattice) as log:
        await host.commands.launch_provider(f"file://{path}", "default", None, {})
        await log.wait_for("provider_started", 1, 60.0, public_key=provider_key)
        (info,) = host.commands.providers()
        assert Provenance.from_annotations(info.annotations) == Provenance.of_file(par)
        (venv,) = (config.state_dir / "providers" / "python").glob("*/venv")
        pid = host.parts.providers.process_id(provider_key, "default")
        assert pid is not None
        assert command_line(pid)[:3] == [str(venv / "bin" / "python"), "-I", "-m"]  # isolated mode, its own venv


def command_line(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
