"""Deploy across machines with real host processes that share no files: each host has its own state and cache
directory and may not load files at all, so what it runs can only come from a registry.

* An app manifest naming an actor in the real registry and one in the lattice registry, aimed by label at a host
  that never saw either, deploys through the CLI; both answer, and ``lattice app status`` says where their bytes
  came from.
* A Python provider packed as an archive from a source tree that no longer exists, pushed, and started with
  ``cmd.lp`` on the other host, serves a linked actor — isolated from that host's packages and secrets.
* A host on a NATS leaf node (its own server, JetStream domain of the hub) starts an actor from the lattice registry
  and serves calls made on the hub.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import msgpack
import pytest
import yaml
from nats.aio.client import Client

from lattice import keys, subjects
from lattice.control import ControlClient
from lattice.interfaces.httpserver import CONTRACT_ID as HTTPSERVER
from lattice.interfaces.httpserver import HANDLE_REQUEST, HttpRequest, HttpResponse
from lattice.natsconn import NatsOptions, connect
from lattice.natsserver import NatsServer
from lattice.oci import LatticeRegistry
from lattice.wire import LinkDefinition, WasmCloudEntity
from tests.integration.host.hostcore_support import EventLog, caller
from tests.integration.oci.deploy_support import PARROT_CONTRACT, HostProcess, lattice_cli, parrot_par
from tests.integration.oci.host_support import pusher
from tests.integration.oci.oci_support import wait_for_hub_domain
from tests.integration.oci.registry_server import RegistryServer
from tests.support.guests import proxy_payload, signed_guest

pytestmark = pytest.mark.slow

PROVIDER_START_S = 60.0
DEPLOY_WAIT_S = "60"
SECRET = "never-show-this-password"
HTTP_ORIGIN = WasmCloudEntity.provider(keys.KeyPair.create(keys.KeyType.SERVICE).public_key, HTTPSERVER, "default")
CALLER = WasmCloudEntity.actor(keys.KeyPair.create(keys.KeyType.MODULE).public_key)


@pytest.fixture
def two_hosts(
    nats_url: str, lattice_prefix: str, cluster_key: keys.KeyPair, registry: RegistryServer, tmp_path: Path
) -> Iterator[tuple[HostProcess, HostProcess]]:
    """Host ``a`` and host ``b`` (labels ``machine=a|b``), each with its own state directory; ``b`` also has
    credentials for a registry in its environment (which its providers must never see)."""
    env = {"WASMCLOUD_OCI_ALLOWED_INSECURE": registry.address, "WASMLATTICE_APP_RECONCILE_INTERVAL_S": "0.5"}
    secret_env = {
        "WASMCLOUD_OCI_REGISTRY": "registry.invalid:443",
        "WASMCLOUD_OCI_REGISTRY_USER": "someone",
        "WASMCLOUD_OCI_REGISTRY_PASSWORD": SECRET,
    }
    hosts = (
        HostProcess(nats_url, lattice_prefix, cluster_key, tmp_path / "machine-a", env, {"machine": "a"}),
        HostProcess(nats_url, lattice_prefix, cluster_key, tmp_path / "machine-b", env | secret_env, {"machine": "b"}),
    )
    for host in hosts:
        host.start()
    try:
        yield hosts
    finally:
        for host in hosts:
            host.stop()


@pytest.fixture
async def ctl(nc: Client, lattice_prefix: str) -> AsyncIterator[ControlClient]:
    async with ControlClient(nc, lattice_prefix) as client:
        yield client


def app_manifest(folder: Path, images: dict[str, str]) -> Path:
    components = [
        {
            "name": name,
            "type": "actor",
            "properties": {"image": image},
            "traits": [
                {
                    "type": "spreadscaler",
                    "properties": {"replicas": 1, "spread": [{"name": "b", "requirements": {"machine": "b"}}]},
                }
            ],
        }
        for name, image in images.items()
    ]
    doc = {
        "apiVersion": "core.oam.dev/v1beta1",
        "kind": "Application",
        "metadata": {"name": "across"},
        "spec": {"components": components},
    }
    path = folder / "across.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


async def test_an_app_of_registry_refs_runs_on_a_host_that_never_saw_them(
    nc: Client,
    nats_url: str,
    lattice_prefix: str,
    cluster_key: keys.KeyPair,
    registry: RegistryServer,
    repo: str,
    signed_actor: bytes,
    two_hosts: tuple[HostProcess, HostProcess],
    ctl: ControlClient,
    tmp_path: Path,
) -> None:
    a, b = two_hosts
    guest, guest_claims = signed_guest(keys.KeyPair.create(keys.KeyType.ACCOUNT))
    echo_ref, guest_ref = f"{registry.address}/{repo}/echo:0.1.0", f"lattice://{repo}/guest:1.0.0"
    async with pusher(nc, lattice_prefix, registry.address) as push:
        echo_digest = (await push.push(echo_ref, signed_actor)).digest
        guest_digest = (await push.push(guest_ref, guest)).digest
    for host in (a, b):
        await host.wait_ready(ctl)
    manifest = app_manifest(tmp_path, {"echo": echo_ref, "guest": guest_ref})
    code, deployed, err = await lattice_cli(nats_url, lattice_prefix, "app", "deploy", str(manifest), "--wait-timeout",
                                            DEPLOY_WAIT_S, cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert deployed["status"]["ready"] is True
    code, status, err = await lattice_cli(nats_url, lattice_prefix, "app", "status", "across")
    assert code == 0, err
    by_name = {c["name"]: c for c in status["components"]}
    assert by_name["echo"]["hosts"] == by_name["guest"]["hosts"] == [b.host_id]
    assert by_name["echo"]["sources"] == [{"host": b.host_id, "source": "oci", "digest": echo_digest, "cached": False}]
    assert by_name["guest"]["sources"] == [
        {"host": b.host_id, "source": "lattice", "digest": guest_digest, "cached": False}
    ]

    rpc = caller(nc, lattice_prefix, cluster_key)
    running = (await ctl.get_inventory(b.host_id)).actors
    echo_key = next(x.id for x in running if x.image_ref == echo_ref)
    request = HttpRequest("GET", "/across", "x=1").encode()
    reply = HttpResponse.decode(await rpc.call(HTTP_ORIGIN, WasmCloudEntity.actor(echo_key), HANDLE_REQUEST, request))
    assert reply.status_code == 200
    assert json.loads(reply.body)["path"] == "/across"
    answer = await rpc.call(CALLER, WasmCloudEntity.actor(guest_claims.subject), "Echo.Echo", b"from afar")
    assert answer == b"from afar"
    assert (await ctl.get_inventory(a.host_id)).actors == ()
    assert [p for p in (a.state_dir / "oci").rglob("*") if p.is_file()] == []  # a pulled nothing


async def test_a_python_provider_archive_serves_a_linked_actor_on_the_other_host(
    nc: Client,
    lattice_prefix: str,
    cluster_key: keys.KeyPair,
    repo: str,
    two_hosts: tuple[HostProcess, HostProcess],
    ctl: ControlClient,
    tmp_path: Path,
) -> None:
    _, b = two_hosts
    par, provider_key = parrot_par(tmp_path)
    guest, guest_claims = signed_guest(keys.KeyPair.create(keys.KeyType.ACCOUNT), caps=[PARROT_CONTRACT])
    par_ref, guest_ref = f"lattice://{repo}/parrot:0.1.0", f"lattice://{repo}/guest:1.0.0"
    async with pusher(nc, lattice_prefix) as push:
        await push.push(par_ref, par)
        await push.push(guest_ref, guest)
    await b.wait_ready(ctl)
    async with EventLog(nc, lattice_prefix) as log:
        await ctl.start_provider(b.host_id, par_ref, "default")
        await log.wait_for("provider_started", 1, PROVIDER_START_S, public_key=provider_key, image_ref=par_ref)
        await ctl.start_actor(b.host_id, guest_ref)
        await log.wait_for("actors_started", public_key=guest_claims.subject)
        link = LinkDefinition(guest_claims.subject, provider_key, PARROT_CONTRACT, "default", {"prefix": "Polly: "})
        await ctl.put_link(link)
        await log.wait_for("linkdef_set", actor_id=guest_claims.subject)
    rpc = caller(nc, lattice_prefix, cluster_key)
    call = proxy_payload("default", PARROT_CONTRACT, "Parrot.Say", msgpack.packb("hello"))
    answer = msgpack.unpackb(await rpc.call(CALLER, WasmCloudEntity.actor(guest_claims.subject), "Proxy.Call", call))
    assert answer == "Polly: hello (isolated=True, leaked=[])"
    (provider,) = (await ctl.get_inventory(b.host_id)).providers
    assert (provider.id, provider.image_ref, provider.annotations["wasmlattice.dev/source"]) == (
        provider_key,
        par_ref,
        "lattice",
    )
    assert list((b.state_dir / "providers" / "python").glob("*/READY"))  # unpacked into b's own state
    assert SECRET not in b.log_path.read_text(encoding="utf-8", errors="replace")
    reported = [(await ctl.get_inventory(b.host_id)).to_json(), [h.to_json() for h in await ctl.ping_hosts()]]
    assert SECRET not in json.dumps(reported)


async def test_an_edge_host_on_a_leaf_node_serves_an_actor_from_the_lattice_registry(
    hub_and_leaf: tuple[NatsServer, NatsServer], lattice_prefix: str, cluster_key: keys.KeyPair, tmp_path: Path
) -> None:
    hub, leaf = hub_and_leaf
    guest, claims = signed_guest(keys.KeyPair.create(keys.KeyType.ACCOUNT))
    hub_nc = await connect(NatsOptions(url=hub.url, name="hub side"))
    edge = HostProcess(leaf.url, lattice_prefix, cluster_key, tmp_path / "edge", {"WASMCLOUD_JS_DOMAIN": "hub"})
    try:
        pushed = await LatticeRegistry(hub_nc, lattice_prefix, js_domain="hub").push(
            "lattice://edge/guest:1.0.0", guest
        )
        edge_nc = await connect(NatsOptions(url=leaf.url))
        await wait_for_hub_domain(edge_nc)
        await edge_nc.close()
        edge.start()
        async with ControlClient(hub_nc, lattice_prefix) as ctl, EventLog(hub_nc, lattice_prefix) as log:
            await edge.wait_ready(ctl)
            pinned = f"lattice://edge/guest@{pushed.digest}"
            await ctl.start_actor(edge.host_id, pinned)
            await log.wait_for("actors_started", public_key=claims.subject)
            await log.wait_for("refmap_set", oci_url=pinned)
            kv = await hub_nc.jetstream().key_value(subjects.lattice_bucket(lattice_prefix))  # the edge wrote the hub's
            assert json.loads((await kv.get(subjects.refmap_key(pinned))).value)["public_key"] == claims.subject
            assert (await kv.get(subjects.claims_key(claims.subject))).value
            rpc = caller(hub_nc, lattice_prefix, cluster_key)
            answer = await rpc.call(CALLER, WasmCloudEntity.actor(claims.subject), "Echo.Echo", b"from the hub")
            assert answer == b"from the hub"
            (actor,) = (await ctl.get_inventory(edge.host_id)).actors
            assert actor.instances[0].annotations["wasmlattice.dev/digest"] == pushed.digest
    finally:
        edge.stop()
        await hub_nc.close()
