"""Building a running host from its parts, in start order; :class:`host.host.Host` owns the result.

connections → wasm runtime → task scope → lattice bucket (opened, watched, replayed) → artifact fetcher → policy
client → event publisher → actors → providers → heartbeat → the control server over the commands → application
reconciler. Each part
owns its own state and is built from small values; the ones that hold resources are entered on the host's exit
stack, so a failed start releases what was already taken.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from host.actors import ActorContext, ActorManager, ActorSettings
from host.actors.loader import ModuleSource
from host.artifacts import open_fetcher
from host.commands import HostCommands
from host.config import HostConfig
from host.connections import Connections
from host.control.server import ControlServer
from host.errors import HostError
from host.events import EventPublisher
from host.heartbeat import Heartbeat
from host.identity import Identity, Labels
from host.invocations import InboundPipeline, InboxLimits, InvocationContext, RouterContext
from host.parts import HostParts
from host.policy import PolicyAction, PolicyClient, PolicyDenied, PolicyEntity, PolicySettings
from host.providers import (
    HostDataNats,
    HostIdentity,
    ProviderSources,
    ProviderStartFailed,
    ProviderSupervisor,
    SupervisorHooks,
)
from host.providers.supervisor import Approve
from host.rpc_events import RpcEvents
from host.runtime import Limits, Runtime, RuntimeConfig
from host.state import LatticeStore, provider_claims_record
from host.tasks import TaskScope
from lattice.app.reconcile import Reconciler
from lattice.claims import ProviderClaims
from lattice.oci import ArtifactFetcher
from lattice.rpc import RpcClient, RpcSettings
from lattice.wire import LinkDefinition

DEFAULT_SYNC_TIMEOUT_S = 10.0
PROVIDERS_DIR = "providers"


class HostStartError(HostError):
    """The host could not join the lattice (NATS, JetStream or the lattice bucket unavailable)."""


@dataclass(frozen=True)
class RunningHost:
    """A started host: its parts, the commands on them, the control server that serves the commands, and the
    application reconciler."""

    parts: HostParts
    commands: HostCommands
    control: ControlServer
    apps: Reconciler | None


@dataclass(frozen=True)
class Blueprint:
    """What a host is built from: its configuration, who it is, and how to ask it to stop."""

    config: HostConfig
    identity: Identity
    labels: Labels
    runtime: RuntimeConfig
    request_stop: Callable[[], None]


async def assemble(bp: Blueprint, stack: contextlib.AsyncExitStack) -> RunningHost:
    """Start every part in order (see the module docstring); resources go on ``stack``."""
    cfg, me = bp.config, bp.identity
    name = f"wasmlattice host {me.friendly_name}"
    conns = await Connections.open(cfg.rpc_nats(), cfg.ctl_nats(), name)
    stack.push_async_callback(conns.close)
    runtime = stack.enter_context(Runtime(bp.runtime))
    tasks = await stack.enter_async_context(TaskScope(f"host {me.friendly_name}"))
    store = await open_store(cfg, conns.ctl, tasks)
    artifacts = await stack.enter_async_context(open_fetcher(cfg, conns.rpc))
    policy = await start_policy(cfg, conns.ctl, me, bp.labels)
    publisher = EventPublisher(conns.ctl, cfg.lattice, me.host_id)
    rpc = rpc_client(cfg, conns.rpc, me)
    rpc_events = RpcEvents(conns.rpc, cfg.lattice, me.host_id, cfg.rpc_events, cfg.rpc_events_interval_s)
    tasks.spawn(rpc_events.run(), "invocation summaries")
    invocations = InvocationContext(conns.rpc, cfg.lattice, me.host_id, rpc, store.cache, policy, rpc_events)
    actors = ActorManager(actor_context(cfg, runtime, store, invocations, me, publisher, tasks, artifacts))
    supervisor = provider_supervisor(cfg, conns.rpc, me, store, publisher, artifacts, policy)
    providers = await stack.enter_async_context(supervisor)
    parts = HostParts(
        config=cfg,
        identity=me,
        labels=bp.labels,
        store=store,
        artifacts=artifacts,
        actors=actors,
        providers=providers,
        policy=policy,
        publisher=publisher,
        heartbeat=Heartbeat(publisher, me, bp.labels, actors.counts, providers.list),
        tasks=tasks,
        request_stop=bp.request_stop,
    )
    commands = HostCommands(parts)
    control = ControlServer(conns.ctl, cfg.lattice, commands, cfg.ctl_topic_prefix)
    await control.start()
    return RunningHost(parts, commands, control, await start_reconciler(cfg, conns.ctl, me.host_id))


async def open_store(cfg: HostConfig, nc: Any, tasks: TaskScope) -> LatticeStore:
    """Open (or create) the lattice bucket, watch it in ``tasks`` and wait for the first replay."""
    store = LatticeStore(nc, cfg.lattice, cfg.js_domain, cfg.js_replicas)
    await store.open()
    tasks.spawn(store.watch(), f"watch of {store.bucket}")
    try:
        async with asyncio.timeout(DEFAULT_SYNC_TIMEOUT_S):
            await store.synced.wait()
    except TimeoutError:
        raise HostStartError(f"the lattice bucket {store.bucket} did not replay in time") from None
    return store


async def start_policy(cfg: HostConfig, nc: Any, me: Identity, labels: Labels) -> PolicyClient | None:
    """The policy client when a policy topic is configured (it describes this host in every request)."""
    if not cfg.policy_topic:
        return None

    def host() -> dict[str, Any]:
        return {
            "publicKey": me.host_id,
            "issuer": me.cluster_key.public_key,
            "latticeId": cfg.lattice,
            "labels": dict(labels),
            "clusterIssuers": list(me.cluster_issuers),
        }

    policy = PolicyClient(nc, PolicySettings(cfg.policy_topic, cfg.policy_timeout_ms, cfg.policy_changes_topic), host)
    await policy.start()
    return policy


def rpc_client(cfg: HostConfig, nc: Any, me: Identity) -> RpcClient:
    settings = RpcSettings(cfg.lattice, me.host_id, me.cluster_key, cfg.rpc_timeout_ms, js_domain=cfg.js_domain)
    return RpcClient(nc, settings)


def actor_context(
    cfg: HostConfig,
    runtime: Runtime,
    store: LatticeStore,
    invocations: InvocationContext,
    me: Identity,
    publisher: EventPublisher,
    tasks: TaskScope,
    artifacts: ArtifactFetcher,
) -> ActorContext:
    limits = Limits(cfg.actor_memory_bytes, cfg.actor_deadline_ms, cfg.actor_max_instances)
    settings = ActorSettings(
        cfg.lattice, me.host_id, cfg.allow_file_load, cfg.actor_issuers, limits, InboxLimits(cfg.actor_max_in_flight)
    )
    return ActorContext(
        settings=settings,
        modules=ModuleSource(cfg.allow_file_load, artifacts),
        runtime=runtime,
        store=store,
        inbound=InboundPipeline(invocations, me.cluster_issuers),
        outbound=RouterContext.here(invocations, cfg.rpc_timeout_ms),
        publish=publisher.publish,
        spawn=tasks.spawn,
    )


def provider_supervisor(
    cfg: HostConfig,
    nc: Any,
    me: Identity,
    store: LatticeStore,
    publisher: EventPublisher,
    artifacts: ArtifactFetcher,
    policy: PolicyClient | None = None,
) -> ProviderSupervisor:
    """The supervisor of this host's providers (enter it: it owns their tasks and stops them on exit); with a
    policy client, every start is asked about once the provider's claims are verified."""
    host = HostIdentity(
        me.host_id,
        cfg.lattice,
        me.cluster_key.seed,
        me.cluster_issuers,
        cfg.rpc_timeout_ms,
        provider_nats(cfg),
        cfg.js_domain,
    )

    def links_for(provider_id: str, link_name: str) -> list[LinkDefinition]:
        return store.cache.links_for_provider(provider_id, link_name)

    async def store_claims(claims: ProviderClaims) -> None:
        await store.put_claims(provider_claims_record(claims))

    hooks = SupervisorHooks(publisher.publish_named, links_for, store_claims, policy_approval(policy, me.host_id))
    sources = ProviderSources(cfg.state_dir / PROVIDERS_DIR, cfg.allow_file_load, artifacts)
    return ProviderSupervisor(nc, host, hooks, sources)


def policy_approval(policy: PolicyClient | None, host_id: str) -> Approve | None:
    """The policy check of a provider start (docs/protocol.md §10.3): a denial fails the start."""
    if policy is None:
        return None

    async def approve(claims: ProviderClaims, link_name: str) -> None:
        meta = claims.metadata
        source = PolicyEntity(
            claims.subject, meta.capid, link_name, (), claims.issuer, str(claims.issued_at), claims.expires
        )
        try:
            await policy.check(PolicyAction.START_PROVIDER, source, PolicyEntity(host_id))
        except PolicyDenied as exc:
            raise ProviderStartFailed(str(exc)) from None

    return approve


def provider_nats(config: HostConfig) -> HostDataNats:
    """What providers are told about NATS (``WASMCLOUD_PROV_RPC_*``): ``host:port``, credentials, TLS."""
    opts = config.prov_nats()
    return HostDataNats(
        url=f"{config.prov_rpc_host}:{config.prov_rpc_port}",
        jwt=opts.jwt or "",
        seed=opts.seed or "",
        tls=opts.uses_tls,
        tls_ca=str(opts.tls_ca or ""),
        tls_cert=str(opts.tls_cert or ""),
        tls_key=str(opts.tls_key or ""),
        creds_file=str(opts.creds_file or ""),
    )


async def start_reconciler(cfg: HostConfig, nc: Any, host_id: str) -> Reconciler | None:
    """This host's share in keeping deployed applications in place (when enabled)."""
    if not cfg.app_reconciler:
        return None
    apps = Reconciler(
        nc,
        cfg.lattice,
        host_id,
        ctl_prefix=cfg.ctl_topic_prefix,
        js_domain=cfg.js_domain,
        replicas=cfg.js_replicas,
        interval_s=cfg.app_reconcile_interval_s,
    )
    await apps.start()
    return apps
