"""Every bad input of a registry start, through a real host: the failure event's message starts with the ref and
says what is wrong, nothing runs, and nothing is kept on the host's disk (no blob cached, no binary unpacked)."""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client

from host.control.target import CommandRejected
from host.host import Host
from lattice import keys
from lattice.provider.par import native_target
from tests.integration.host.hostcore_support import EventLog
from tests.integration.oci.host_support import (
    alter_binaries,
    kept_files,
    make_par,
    push_raw_actor,
    push_raw_par,
    pusher,
    registry_host_config,
)
from tests.integration.oci.oci_support import REG_USER, blob_file, push_layers
from tests.integration.oci.registry_server import RegistryServer
from tests.support.guests import signed_guest, unsigned_module
from tests.support.ports import free_port

ACTOR, PROVIDER = "actor", "provider"


@dataclass
class Scene:
    """What a case may use: the registries, a fresh repository, the lattice, an account; config changes it asks."""

    nc: Client
    lattice: str
    registry: RegistryServer
    auth_registry: RegistryServer
    hanging: str
    repo: str
    account: keys.KeyPair
    tmp_path: Path
    registry_binary: str
    stack: contextlib.ExitStack
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        return f"{self.registry.address}/{self.repo}:1.0.0"

    async def push(self, data: bytes, ref: str | None = None) -> str:
        async with pusher(self.nc, self.lattice, self.registry.address) as push:
            await push.push(ref or self.ref, data)
        return ref or self.ref

    def guest(self) -> bytes:
        return signed_guest(self.account)[0]


Case = Callable[[Scene], Awaitable[str]]


async def unknown_registry(s: Scene) -> str:
    address = f"127.0.0.1:{free_port()}"
    s.config["oci_allowed_insecure"] = (s.registry.address, address)
    return f"{address}/{s.repo}:1.0.0"


async def unknown_tag(s: Scene) -> str:
    await s.push(s.guest())
    return f"{s.registry.address}/{s.repo}:9.9.9"


async def wrong_credentials(s: Scene) -> str:
    s.config.update(
        oci_allowed_insecure=(s.auth_registry.address,),
        oci_registry=s.auth_registry.address,
        oci_registry_user=REG_USER,
        oci_registry_password="not-the-password",
    )
    return f"{s.auth_registry.address}/{s.repo}:1.0.0"


async def blob_digest_mismatch(s: Scene) -> str:
    own = s.stack.enter_context(RegistryServer(s.tmp_path / "spoilt", binary=s.registry_binary))
    s.config["oci_allowed_insecure"] = (own.address,)
    wasm, ref = s.guest(), f"{own.address}/{s.repo}:1.0.0"
    async with pusher(s.nc, s.lattice, own.address) as push:
        pushed = await push.push(ref, wasm)
    blob_file(own, pushed.digest).write_bytes(wasm[:-1] + bytes([wasm[-1] ^ 0xFF]))
    return ref


async def no_layers(s: Scene) -> str:
    await push_layers(s.registry, s.repo, "1.0.0", [])
    return s.ref


async def container_image_layer(s: Scene) -> str:
    await push_layers(s.registry, s.repo, "1.0.0", [("application/vnd.oci.image.layer.v1.tar+gzip", b"\x1f\x8b" * 9)])
    return s.ref


async def provider_where_an_actor_is_wanted(s: Scene) -> str:
    return await s.push(make_par({native_target(): b"#!/bin/sh\n"})[0])


async def http_registry_not_listed(s: Scene) -> str:
    s.config["oci_allowed_insecure"] = ()
    return f"{s.registry.address}/{s.repo}:1.0.0"


async def unsigned(s: Scene) -> str:
    return await push_raw_actor(s.registry, s.repo, "1.0.0", unsigned_module())


async def expired(s: Scene) -> str:
    return await push_raw_actor(s.registry, s.repo, "1.0.0", signed_guest(s.account, expires_in_s=-60)[0])


async def tampered(s: Scene) -> str:
    wasm = s.guest()
    at = wasm.index(b"unknown operation")
    return await push_raw_actor(s.registry, s.repo, "1.0.0", wasm[:at] + b"U" + wasm[at + 1 :])


async def issuer_not_allowed(s: Scene) -> str:
    s.config["actor_issuers"] = (keys.KeyPair.create(keys.KeyType.ACCOUNT).public_key,)
    return await s.push(s.guest())


async def oversized(s: Scene) -> str:
    s.config["oci_max_bytes"] = 1024
    return await s.push(s.guest())


async def hanging(s: Scene) -> str:
    s.config.update(oci_allowed_insecure=(s.hanging,), oci_timeout_s=0.3)
    return f"{s.hanging}/{s.repo}:1.0.0"


async def lattice_tag_unknown(s: Scene) -> str:
    await s.push(s.guest(), f"lattice://{s.repo}:1.0.0")
    return f"lattice://{s.repo}:2.0.0"


ACTOR_CASES: dict[str, tuple[Case, str]] = {
    "unknown-registry": (unknown_registry, "cannot connect to"),
    "unknown-tag": (unknown_tag, "manifest 9.9.9 not found"),
    "wrong-credentials": (wrong_credentials, f"refused the credentials of '{REG_USER}'"),
    "blob-digest-mismatch": (blob_digest_mismatch, "layer bytes hash to"),
    "no-layers": (no_layers, "the manifest has no layers"),
    "wrong-media-type": (container_image_layer, "application/vnd.oci.image.layer.v1.tar+gzip"),
    "provider-not-actor": (provider_where_an_actor_is_wanted, "is a provider artifact where an actor was expected"),
    "http-not-insecure": (http_registry_not_listed, "WASMCLOUD_OCI_ALLOWED_INSECURE"),
    "unsigned": (unsigned, "not signed"),
    "expired": (expired, "expired"),
    "tampered": (tampered, "altered after signing"),
    "issuer-not-allowed": (issuer_not_allowed, "not in the allowed issuers"),
    "oversized": (oversized, "over the limit of 1024"),
    "hanging": (hanging, "did not answer"),
    "lattice-unknown-tag": (lattice_tag_unknown, "no such repository or tag in the lattice registry"),
}


async def altered_par(s: Scene) -> str:
    par, _ = make_par({native_target(): b"#!/bin/sh\nexit 0\n"})
    return await push_raw_par(s.registry, s.repo, "1.0.0", alter_binaries(par))


async def par_for_another_platform(s: Scene) -> str:
    return await s.push(make_par({"riscv64-plan9": b"#!/bin/sh\nexit 0\n"})[0])


async def actor_where_a_provider_is_wanted(s: Scene) -> str:
    return await s.push(s.guest())


PROVIDER_CASES: dict[str, tuple[Case, str]] = {
    "par-binary-altered": (altered_par, "does not match its signed hash"),
    "par-no-binary-here": (par_for_another_platform, f"archive has no binary for {native_target()}"),
    "actor-not-provider": (actor_where_a_provider_is_wanted, "is an actor artifact where a provider was expected"),
    "provider-unknown-tag": (unknown_tag, "manifest 9.9.9 not found"),
}


@pytest.fixture
def scene(
    nc: Client,
    lattice_prefix: str,
    registry: RegistryServer,
    auth_registry: RegistryServer,
    hanging_server: str,
    repo: str,
    tmp_path: Path,
    registry_binary: str,
) -> Iterator[Scene]:
    account = keys.KeyPair.create(keys.KeyType.ACCOUNT)
    with contextlib.ExitStack() as stack:
        yield Scene(
            nc, lattice_prefix, registry, auth_registry, hanging_server, repo, account, tmp_path, registry_binary, stack
        )


async def refused_start(scene: Scene, case: Case, expected: str, what: str, nats_url: str, cluster: Any) -> None:
    ref = await case(scene)
    state = scene.tmp_path / "host"
    base = registry_host_config(nats_url, scene.lattice, cluster, state, [scene.registry.address])
    config = dataclasses.replace(base, **scene.config)
    async with Host(config) as host, EventLog(scene.nc, scene.lattice) as log:
        if what == ACTOR:
            await host.commands.launch_actor(ref, 1, {})
            (failed,) = await log.wait_for("actors_start_failed", image_ref=ref)
            error = failed["data"]["error"]
        else:
            await host.commands.launch_provider(ref, "default", None, {})
            (failed,) = await log.wait_for("provider_start_failed", provider_ref=ref)
            error = failed["data"]["error"]
        assert error.startswith(f"{ref}: "), error
        assert expected in error, error
        assert "Traceback" not in error
        assert (host.commands.actors(), host.commands.providers()) == ([], [])
    assert kept_files(state) == []


@pytest.mark.parametrize("name", ACTOR_CASES)
async def test_actor_start_refused(scene: Scene, name: str, nats_url: str, cluster_key: keys.KeyPair) -> None:
    case, expected = ACTOR_CASES[name]
    await refused_start(scene, case, expected, ACTOR, nats_url, cluster_key)


@pytest.mark.parametrize("name", PROVIDER_CASES)
async def test_provider_start_refused(scene: Scene, name: str, nats_url: str, cluster_key: keys.KeyPair) -> None:
    case, expected = PROVIDER_CASES[name]
    await refused_start(scene, case, expected, PROVIDER, nats_url, cluster_key)


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("{registry}/{repo}:latest", "WASMCLOUD_OCI_ALLOW_LATEST"),
        ("{registry}/{repo}", "no tag (which means 'latest')"),
        ("lattice://{repo}:latest", "WASMCLOUD_OCI_ALLOW_LATEST"),
        ("{registry}/{repo}:1.0@sha1:abc", "digest algorithm 'sha1' is not supported"),
        ("bindle://{repo}/1.0", "cannot load"),
    ],
)
async def test_refs_no_pull_could_fetch_are_refused_in_the_ack(
    scene: Scene, ref: str, expected: str, nats_url: str, cluster_key: keys.KeyPair
) -> None:
    ref = ref.format(registry=scene.registry.address, repo=scene.repo)
    state = scene.tmp_path / "host"
    async with Host(registry_host_config(nats_url, scene.lattice, cluster_key, state, [])) as host:
        with pytest.raises(CommandRejected, match=re.escape(expected)):
            await host.commands.launch_actor(ref, 1, {})
        assert host.commands.actors() == []


async def test_latest_starts_when_allowed(scene: Scene, nats_url: str, cluster_key: keys.KeyPair) -> None:
    wasm, claims = signed_guest(scene.account)
    ref = f"{scene.registry.address}/{scene.repo}:latest"
    async with pusher(scene.nc, scene.lattice, scene.registry.address, allow_latest=True) as push:
        await push.push(ref, wasm)
    config = registry_host_config(
        nats_url, scene.lattice, cluster_key, scene.tmp_path / "host", [scene.registry.address], oci_allow_latest=True
    )
    async with Host(config) as host, EventLog(scene.nc, scene.lattice) as log:
        await host.commands.launch_actor(ref, 1, {})
        await log.wait_for("actors_started", public_key=claims.subject)
