"""The lattice under chaos: a 3-node NATS cluster, two ``python -m host`` processes and the example application
(actors-examples/app.yaml) deployed as a manifest, so the hosts' own reconciler starts — and restores — every actor
and provider, and puts the links.

What differs from ``make run``'s app: the HTTP ports, the kvcounter bucket and the uppercase subject are fresh
(``${VAR:-default}`` expansion); every actor runs ``actor_replicas`` instances (spread over the hosts, so losing a
host leaves one serving); the keyvalue provider runs ``keyvalue_replicas`` instances (one queue group) and creates
its bucket with three JetStream replicas (link value ``REPLICAS``). The httpserver provider runs once: its
listeners take fixed ports on this machine.

Operator steps done here as on a real cluster: the hosts get ``WASMLATTICE_JS_REPLICAS=3`` (the lattice and apps
buckets), and the driver creates ``LATTICEAPPS_{lattice}`` with three replicas before it stores the manifest
(retrying while the JetStream meta group forms), since it may open the bucket before any host's reconciler does.
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lattice import keys, subjects
from lattice.app import deploy, manifest, reconcile
from lattice.app.facts import read_facts
from lattice.app.status import AppStatus
from lattice.app.store import AppStore
from lattice.control import ControlClient
from lattice.control.client import ControlTimeouts
from lattice.rpc import RpcClient
from tests.support.chaos import cluster as nats_cluster
from tests.support.chaos.cluster import NatsCluster, create_replicated_bucket
from tests.support.faults_support import HostProcess, caller
from tests.support.ports import free_port
from tests.support.rig import EXAMPLES, HTTP_ACTORS, PROVIDER_MODULES, children

APP_NAME = "chaos"
DEFAULT_HOSTS = 2
DEFAULT_ACTOR_REPLICAS = 2
DEFAULT_KEYVALUE_REPLICAS = 2
DEFAULT_RPC_TIMEOUT_MS = 2000
PROBE_GATHER_S = 0.5
KEYVALUE_COMPONENT = "keyvalue"


@dataclass(frozen=True)
class LatticeConfig:
    work_dir: Path
    lattice: str = field(default_factory=lambda: "ch" + secrets.token_hex(4))
    hosts: int = DEFAULT_HOSTS
    actor_replicas: int = DEFAULT_ACTOR_REPLICAS
    keyvalue_replicas: int = DEFAULT_KEYVALUE_REPLICAS
    rpc_timeout_ms: int = DEFAULT_RPC_TIMEOUT_MS
    reconcile_interval_s: float | None = None  # None: the host's default


class ChaosLattice:
    """Start with ``await start()``, end with ``await stop()``; see the module docstring."""

    def __init__(self, config: LatticeConfig) -> None:
        self.config = config
        self.lattice = config.lattice
        self.cluster = NatsCluster(config.work_dir / "nats")
        self.cluster_key = keys.KeyPair.create(keys.KeyType.CLUSTER)
        self.ports = {actor: free_port() for actor in HTTP_ACTORS}
        self.kv_bucket = f"{self.lattice}_kvcounter"
        self.hosts = [self._host(i) for i in range(config.hosts)]
        self.app = manifest.parse(*self._document())
        self.nc: Any = None
        self.ctl: ControlClient
        self.store: AppStore
        self.rpc: RpcClient

    # --- what the driver uses -------------------------------------------------------------------------------------

    def http_url(self, actor: str, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.ports[actor]}{path}"

    @property
    def streams(self) -> list[str]:
        """The replicated streams whose data must survive: lattice data, deployed apps, kvcounter's bucket."""
        buckets = (subjects.lattice_bucket(self.lattice), subjects.apps_bucket(self.lattice), self.kv_bucket)
        return [f"KV_{b}" for b in buckets]

    def provider_pids(self) -> list[tuple[int, str, int]]:
        """(host index, contract, pid) of every provider process the running hosts have started."""
        found = []
        for index, host in enumerate(self.hosts):
            if host.pid is None:
                continue
            for pid, cmdline in children(host.pid).items():
                for contract, module in PROVIDER_MODULES.items():
                    if f"-m {module}" in cmdline:
                        found.append((index, contract, pid))
        return found

    def restart_host(self, index: int) -> None:
        """Start host ``index`` again (same seed, so the same host id) against a NATS node that runs."""
        self.hosts[index].start(self.cluster.url_for(index))

    async def app_status(self) -> AppStatus:
        return await deploy.current_status(self.ctl, self.store, self.app)

    async def host_ids_answering(self) -> set[str]:
        return {h.id for h in await self.ctl.ping_hosts()}

    async def stream_problems(self) -> list[str]:
        return await nats_cluster.stream_problems(self.nc.jetstream(), self.streams)

    # --- lifecycle ------------------------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.cluster.start()
        self.nc = await self.cluster.client(f"chaos driver {self.lattice}")
        self.ctl = ControlClient(self.nc, self.lattice, timeouts=ControlTimeouts(gather_s=PROBE_GATHER_S))
        self.rpc = caller(self.nc, self.lattice, self.cluster_key, self.config.rpc_timeout_ms)
        await create_replicated_bucket(self.nc.jetstream(), subjects.apps_bucket(self.lattice))
        for index, host in enumerate(self.hosts):
            host.start(self.cluster.urls[index % self.cluster.size])
        for host in self.hosts:
            await host.wait_ready(self.ctl)
        document, base_dir = self._document()
        self.store = AppStore(self.nc, self.lattice)
        await self.store.put(self.app.name, reconcile.stored_document(document, base_dir, read_facts(self.app)))

    async def stop(self) -> None:
        for host in self.hosts:
            with contextlib.suppress(Exception):
                host.stop()
        if self.nc is not None:
            with contextlib.suppress(Exception):
                await self.nc.close()
        await self.cluster.stop()

    # --- parts ----------------------------------------------------------------------------------------------------

    def _host(self, index: int) -> HostProcess:
        env = {"WASMLATTICE_JS_REPLICAS": "3", "PYTHONUNBUFFERED": "1"}
        env["WASMLATTICE_KEYS_DIR"] = str(self.config.work_dir / "keys")  # never the user's ~/.wasmlattice
        env["WASMCLOUD_RPC_TIMEOUT_MS"] = str(self.config.rpc_timeout_ms)
        if self.config.reconcile_interval_s is not None:
            env["WASMLATTICE_APP_RECONCILE_INTERVAL_S"] = str(self.config.reconcile_interval_s)
        state = self.config.work_dir / f"host{index}"
        return HostProcess(self.cluster.urls[0], self.lattice, self.cluster_key, state, **env)

    def _document(self) -> tuple[dict[str, Any], Path]:
        """actors-examples/app.yaml with this run's ports, bucket and subject, replicas and bucket replication."""
        env = {f"{actor.upper()}_PORT": str(port) for actor, port in self.ports.items()}
        env |= {"KVCOUNTER_BUCKET": self.kv_bucket, "UPPERCASE_SUBJECT": f"{self.lattice}.uppercase"}
        document, base_dir = manifest.read_document(EXAMPLES / "app.yaml", env)
        document["metadata"]["name"] = APP_NAME
        for comp in document["spec"]["components"]:
            traits = comp.setdefault("traits", [])
            if comp["type"] == "actor":
                _scaler(traits, self.config.actor_replicas)
                for trait in traits:
                    if trait["type"] == "linkdef" and trait["properties"]["target"] == KEYVALUE_COMPONENT:
                        trait["properties"]["values"]["REPLICAS"] = "3"
            elif comp["name"] == KEYVALUE_COMPONENT:
                _scaler(traits, self.config.keyvalue_replicas)
        return document, base_dir


def _scaler(traits: list[dict[str, Any]], replicas: int) -> None:
    traits[:] = [t for t in traits if t["type"] != "spreadscaler"]
    traits.insert(0, {"type": "spreadscaler", "properties": {"replicas": replicas}})
