"""An app of registry refs rolled forward by a new tag: the reconciler live-updates the running actor (same
instances, new revision, new ref) instead of starting it again from the new ref, which the host would refuse."""

from __future__ import annotations

from pathlib import Path

import yaml
from nats.aio.client import Client

from host.host import Host
from lattice import keys
from lattice.app.deploy import deploy, wait_ready
from lattice.app.store import AppStore
from lattice.control import ControlClient
from tests.integration.host.hostcore_support import EventLog
from tests.integration.oci.host_support import pusher, registry_host_config
from tests.support.guests import signed_guest

WAIT_S = 30.0
REPLICAS = 2


def manifest(folder: Path, image: str) -> Path:
    doc = {
        "apiVersion": "core.oam.dev/v1beta1",
        "kind": "Application",
        "metadata": {"name": "retag"},
        "spec": {
            "components": [
                {
                    "name": "greeter",
                    "type": "actor",
                    "properties": {"image": image},
                    "traits": [{"type": "spreadscaler", "properties": {"replicas": REPLICAS}}],
                }
            ]
        },
    }
    path = folder / f"app-{image.rsplit(':', 1)[-1]}.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


async def test_a_new_tag_in_the_manifest_is_rolled_out_by_live_update(
    nc: Client, nats_url: str, lattice_prefix: str, cluster_key: keys.KeyPair, tmp_path: Path
) -> None:
    account, module_key = keys.KeyPair.create(keys.KeyType.ACCOUNT), keys.KeyPair.create(keys.KeyType.MODULE)
    one, claims = signed_guest(account, module_key=module_key, rev=1)
    two, _ = signed_guest(account, module_key=module_key, rev=2, variant=2)
    v1, v2 = "lattice://greeter:1.0.0", "lattice://greeter:2.0.0"
    async with pusher(nc, lattice_prefix) as push:
        await push.push(v1, one)
        await push.push(v2, two)
    config = registry_host_config(
        nats_url, lattice_prefix, cluster_key, tmp_path / "host", [], app_reconcile_interval_s=0.5
    )
    store = AppStore(nc, lattice_prefix)
    async with Host(config) as host, EventLog(nc, lattice_prefix) as log, ControlClient(nc, lattice_prefix) as ctl:
        first = await deploy(ctl, store, manifest(tmp_path, v1))
        assert (await wait_ready(ctl, store, first.app, WAIT_S)).ready
        (running,) = host.commands.actors()
        before = sorted(i.instance_id for i in running.instances)
        assert (running.image_ref, len(before)) == (v1, REPLICAS)

        second = await deploy(ctl, store, manifest(tmp_path, v2))
        await log.wait_for("actor_updated", public_key=claims.subject, revision=2, times=REPLICAS, timeout_s=WAIT_S)
        assert (await wait_ready(ctl, store, second.app, WAIT_S)).ready
        (updated,) = host.commands.actors()
        assert updated.image_ref == v2
        assert sorted(i.instance_id for i in updated.instances) == before, "the same instances, live-updated"
        assert {i.revision for i in updated.instances} == {2}
        assert log.named("actors_start_failed") == [], "no second start from the new ref"
        assert log.named("actors_stopped") == []
