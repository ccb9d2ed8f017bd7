"""Starting, stopping, scaling and live-updating the actors of this host.

Each command does its whole job and raises an :class:`ActorError` on failure, after publishing the matching event
(``actors_start_failed``, ``actor_update_failed`` …), so callers that only ack (the control interface) can run it in
the background. Commands on one actor are serialized by a per-actor lock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from host import events
from host.actors import loader
from host.actors.actor import ActorInstance, RunningActor, revision_of
from host.actors.errors import ActorError, ActorNotRunning, ActorStartFailed, ActorUpdateFailed
from host.actors.loader import LoadedModule, ModuleSource
from host.artifacts import same_ref
from host.control.target import ActorInfo
from host.invocations import ActorInbox, HostCallRouter, InboundPipeline, InboxLimits, RouterContext
from host.invocations.inbox import Spawn
from host.policy import PolicyAction, PolicyClient, PolicyDenied, PolicyEntity
from host.runtime import ActorPool, CompiledModule, Limits, Runtime, WasmRuntimeError
from host.state import LatticeStore, StateError, actor_claims_record
from lattice import subjects
from lattice.claims import ActorClaims
from lattice.oci.provenance import Provenance

log = logging.getLogger(__name__)

Publish = Callable[[events.Event], Awaitable[None]]


@dataclass(frozen=True)
class ActorSettings:
    """This host's rules for actors. ``limits.max_instances`` is the most instances one actor may have here."""

    lattice: str
    host_id: str
    allow_file_load: bool
    actor_issuers: tuple[str, ...]
    limits: Limits
    inbox: InboxLimits


@dataclass(frozen=True, kw_only=True)
class ActorContext:
    """The parts the manager works with, each built on its own by the host."""

    settings: ActorSettings
    modules: ModuleSource
    runtime: Runtime
    store: LatticeStore
    inbound: InboundPipeline
    outbound: RouterContext
    publish: Publish
    spawn: Spawn

    @property
    def policy(self) -> PolicyClient | None:
        return self.inbound.ctx.policy


class ActorManager:
    def __init__(self, ctx: ActorContext) -> None:
        self._ctx = ctx
        self._s = ctx.settings
        self.actors: dict[str, RunningActor] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def _lock(self, public_key: str) -> asyncio.Lock:
        return self._locks.setdefault(public_key, asyncio.Lock())

    # --- queries --------------------------------------------------------------------------------------------------

    def infos(self) -> list[ActorInfo]:
        return [actor.info() for actor in self.actors.values()]

    def key_for_ref(self, ref: str) -> str | None:
        """The key of the actor running here from ``ref`` (compared normalised), if one does."""
        ref = loader.canonical_ref(ref)
        return next((pk for pk, a in self.actors.items() if same_ref(a.image_ref, ref)), None)

    def counts(self) -> dict[str, int]:
        return {pk: len(actor.instances) for pk, actor in self.actors.items()}

    # --- start ----------------------------------------------------------------------------------------------------

    @property
    def modules(self) -> ModuleSource:
        return self._ctx.modules

    async def _load(self, ref: str, actor_id: str = "") -> LoadedModule:
        """The module at ``ref`` with valid claims (of ``actor_id`` when given), checked before it is cached."""

        def validate(wasm: bytes) -> None:
            claims = loader.check_claims(wasm, self._s.actor_issuers)
            if actor_id and claims.subject != actor_id:
                raise ActorStartFailed(f"the module is actor {claims.subject}, not {actor_id}")

        return await self._ctx.modules.load(ref, validate)

    async def start(self, ref: str, count: int, annotations: Mapping[str, str]) -> RunningActor:
        """Load ``ref`` (a file or a registry ref) and run ``count`` instances of it."""
        ref = loader.canonical_ref(ref)
        try:
            loaded = await self._load(ref)
        except ActorError as exc:
            await self._start_failed(ref, "", annotations, str(exc))
            raise
        return await self.start_module(loaded.wasm, ref, count, annotations, loaded.provenance)

    async def start_module(
        self,
        wasm: bytes,
        image_ref: str,
        count: int,
        annotations: Mapping[str, str],
        provenance: Provenance | None = None,
    ) -> RunningActor:
        """Validate, compile and run a module given as bytes (``image_ref`` is what inventories report)."""
        try:
            self._check_count(count)
            claims = loader.check_claims(wasm, self._s.actor_issuers)
            await self._check_policy(claims)
            async with self._lock(claims.subject):
                source = provenance or Provenance.of_file(wasm)
                return await self._start_locked(wasm, claims, image_ref, count, annotations, source)
        except ActorError as exc:
            await self._start_failed(image_ref, loader.claimed_subject(wasm), annotations, str(exc))
            raise

    def _check_count(self, count: int, running: int = 0) -> None:
        if count < 1:
            raise ActorStartFailed(f"instance count must be at least 1, got {count}")
        limit = self._s.limits.max_instances
        if running + count > limit:
            raise ActorStartFailed(f"{running + count} instances exceed this host's limit of {limit} per actor")

    async def _check_policy(self, claims: ActorClaims) -> None:
        if self._ctx.policy is None:
            return
        source = PolicyEntity(
            claims.subject,
            capabilities=claims.metadata.capabilities,
            issuer=claims.issuer,
            issued_on=str(claims.issued_at),
            expires_at=claims.expires,
        )
        try:
            await self._ctx.policy.check(PolicyAction.START_ACTOR, source, PolicyEntity(self._s.host_id))
        except PolicyDenied as exc:
            raise ActorStartFailed(str(exc)) from None

    async def _start_locked(
        self,
        wasm: bytes,
        claims: ActorClaims,
        image_ref: str,
        count: int,
        annotations: Mapping[str, str],
        provenance: Provenance,
    ) -> RunningActor:
        running = self.actors.get(claims.subject)
        if running is not None:
            if not same_ref(running.image_ref, image_ref):
                raise ActorStartFailed(
                    f"actor {claims.subject} already runs here from {running.image_ref}: more instances come from "
                    f"that ref; use a live update to run {image_ref}"
                )
            if running.claims.metadata.hash.upper() != claims.metadata.hash.upper():
                raise ActorStartFailed(
                    f"actor {claims.subject} already runs here from another module (revision {running.revision}); "
                    f"to replace it, sign the new one with a higher revision and update it "
                    f"(`lattice ctl update actor`), or stop the running instances first"
                )
            await self._add_instances(running, count, annotations)
            return running
        compiled = await self._compile(wasm, claims)
        actor = await self._launch(compiled, claims, image_ref, count)
        actor.provenance = provenance
        self.actors[claims.subject] = actor
        await self._record(claims, image_ref)
        await self._announce_started(actor, actor.add_instances(count, annotations), annotations)
        return actor

    async def _compile(self, wasm: bytes, claims: ActorClaims) -> CompiledModule:
        try:
            return await asyncio.to_thread(self._ctx.runtime.compile, wasm, claims.metadata.hash)
        except WasmRuntimeError as exc:
            raise ActorStartFailed(f"actor module rejected: {exc}") from None

    async def _launch(self, compiled: CompiledModule, claims: ActorClaims, image_ref: str, count: int) -> RunningActor:
        ctx, s = self._ctx, self._s
        router = HostCallRouter(ctx.outbound, claims.subject, claims.metadata.capabilities)
        limits = replace(s.limits, max_instances=count)
        try:
            pool = await ActorPool.start(ctx.runtime, compiled, limits, host_calls=router, name=claims.subject)
        except WasmRuntimeError as exc:
            raise ActorStartFailed(f"actor could not be instantiated: {exc}") from None
        actor = RunningActor(claims, image_ref, pool, router)
        subject = subjects.actor_rpc(s.lattice, claims.subject)

        async def handle(data: bytes) -> bytes:
            return await ctx.inbound.handle(actor, data)

        actor.inbox = ActorInbox(ctx.inbound.ctx.nc, subject, handle, s.inbox, claims.subject)
        try:
            await actor.inbox.start(ctx.spawn)
        except Exception as exc:
            await actor.inbox.close()
            await pool.close()
            raise ActorStartFailed(f"cannot subscribe to {subject}: {exc}") from exc
        return actor

    async def _add_instances(self, actor: RunningActor, count: int, annotations: Mapping[str, str]) -> None:
        self._check_count(count, len(actor.instances))
        actor.pool.scale(len(actor.instances) + count)
        await self._announce_started(actor, actor.add_instances(count, annotations), annotations)

    async def _record(self, claims: ActorClaims, image_ref: str) -> None:
        """CLAIMS_ and REFMAP_ keys; a failure is logged, the actor keeps running."""
        try:
            await self._ctx.store.put_claims(actor_claims_record(claims))
            await self._ctx.store.put_refmap(image_ref, claims.subject)
        except StateError as exc:
            log.warning("actor %s runs, but its claims could not be stored: %s", claims.subject, exc)
            return
        await self._ctx.publish(events.refmap_set(self._s.host_id, image_ref, claims.subject))

    async def _announce_started(
        self, actor: RunningActor, added: Sequence[ActorInstance], annotations: Mapping[str, str]
    ) -> None:
        host = self._s.host_id
        for instance in added:
            await self._ctx.publish(
                events.actor_started(host, actor.claims, actor.image_ref, instance.instance_id, annotations)
            )
        await self._ctx.publish(events.actors_started(host, actor.claims, actor.image_ref, annotations, len(added)))

    async def _start_failed(self, ref: str, public_key: str, annotations: Mapping[str, str], error: str) -> None:
        log.warning("actor %s failed to start: %s", ref, error)
        await self._ctx.publish(events.actor_start_failed(self._s.host_id, ref, error))
        await self._ctx.publish(events.actors_start_failed(self._s.host_id, public_key, ref, annotations, error))

    # --- stop and scale -------------------------------------------------------------------------------------------

    async def stop(self, actor_id: str, count: int, annotations: Mapping[str, str]) -> int:
        """Stop ``count`` instances carrying ``annotations`` (0 = all of them); returns how many stopped."""
        async with self._lock(actor_id):
            actor = self.actors.get(actor_id)
            if actor is None:
                raise ActorNotRunning(f"actor {actor_id} is not running on this host")
            removed = actor.remove_instances(count, annotations)
            if not removed:
                raise ActorNotRunning(f"no instance of actor {actor_id} carries the annotations {dict(annotations)}")
            if actor.instances:
                actor.pool.scale(len(actor.instances))
            else:
                await self._shut(actor)
            host = self._s.host_id
            for instance in removed:
                await self._ctx.publish(events.actor_stopped(host, actor_id, instance.instance_id, annotations))
            remaining = len(actor.instances)
            await self._ctx.publish(events.actors_stopped(host, actor_id, len(removed), remaining, annotations))
            return len(removed)

    async def _shut(self, actor: RunningActor) -> None:
        self.actors.pop(actor.public_key, None)
        if actor.inbox is not None:
            await actor.inbox.close()
        await actor.pool.close()

    async def scale(self, actor_id: str, actor_ref: str, count: int, annotations: Mapping[str, str]) -> None:
        """Bring the actor to ``count`` instances (0 stops it); starting from nothing needs ``actor_ref``."""
        actor = self.actors.get(actor_id)
        if actor is None:
            if count > 0:
                await self._start_as(actor_id, actor_ref, count, annotations)
            return
        have = len(actor.instances)
        if count == 0:
            await self.stop(actor_id, 0, {})
        elif count > have:
            async with self._lock(actor_id):
                await self._add_instances(actor, count - have, annotations)
        elif count < have:
            await self.stop(actor_id, have - count, {})

    async def _start_as(self, actor_id: str, ref: str, count: int, annotations: Mapping[str, str]) -> None:
        """Start ``ref``, which must be actor ``actor_id`` when one is named."""
        ref = loader.canonical_ref(ref)
        try:
            loaded = await self._load(ref, actor_id)
        except ActorError as exc:
            await self._start_failed(ref, actor_id, annotations, str(exc))
            raise
        await self.start_module(loaded.wasm, ref, count, annotations, loaded.provenance)

    async def stop_taking_work(self) -> None:
        """Unsubscribe every actor (queued invocations are still served)."""
        for actor in list(self.actors.values()):
            if actor.inbox is not None:
                await actor.inbox.stop_taking_work()

    async def stop_all(self) -> None:
        for actor_id, actor in list(self.actors.items()):
            count = len(actor.instances)
            await self._shut(actor)
            await self._ctx.publish(events.actors_stopped(self._s.host_id, actor_id, count, 0, {}))

    # --- live update ----------------------------------------------------------------------------------------------

    async def update(self, actor_id: str, new_ref: str, annotations: Mapping[str, str]) -> None:
        """Swap in the module at ``new_ref``: same subject, strictly higher revision; in-flight calls finish."""
        actor = self.actors.get(actor_id)
        if actor is None:
            raise ActorNotRunning(f"actor {actor_id} is not running on this host")
        new_ref = loader.canonical_ref(new_ref)
        async with self._lock(actor_id):
            revision = actor.revision
            try:
                loaded = await self._load(new_ref, actor_id)
                claims = loader.check_claims(loaded.wasm, self._s.actor_issuers)
                revision = revision_of(claims)
                if self._already_running(actor, claims):
                    log.info("update of %s: revision %d is already running", actor_id, revision)
                    return
                self._check_update(actor, claims)
                compiled = await self._compile(loaded.wasm, claims)
                await actor.pool.swap(compiled)
            except (ActorError, WasmRuntimeError) as exc:
                await self._update_failed(actor, revision, str(exc))
                raise ActorUpdateFailed(str(exc)) from None
            actor.adopt(claims, new_ref, loaded.provenance)
            await self._record(claims, new_ref)
            for instance in actor.instances:
                await self._ctx.publish(events.actor_updated(self._s.host_id, actor_id, revision, instance.instance_id))

    @staticmethod
    def _already_running(actor: RunningActor, claims: ActorClaims) -> bool:
        """The same module at the same revision: asking twice (a person and the app reconciler) is not an error."""
        same = claims.subject == actor.public_key and revision_of(claims) == actor.revision
        return same and claims.metadata.hash == actor.claims.metadata.hash

    @staticmethod
    def _check_update(actor: RunningActor, claims: ActorClaims) -> None:
        if claims.subject != actor.public_key:
            raise ActorUpdateFailed(f"the new module is actor {claims.subject}, not {actor.public_key}")
        if revision_of(claims) == actor.revision and claims.metadata.hash != actor.claims.metadata.hash:
            raise ActorUpdateFailed(
                f"the new module changed but keeps revision {actor.revision}: sign it with a higher revision "
                f"(`lattice claims sign --rev {actor.revision + 1}`) to roll it out"
            )
        if revision_of(claims) <= actor.revision:
            raise ActorUpdateFailed(
                f"revision {revision_of(claims)} is not higher than the running revision {actor.revision}"
            )

    async def _update_failed(self, actor: RunningActor, revision: int, reason: str) -> None:
        log.warning("live update of %s failed: %s", actor.public_key, reason)
        for instance in actor.instances:
            await self._ctx.publish(
                events.actor_update_failed(self._s.host_id, actor.public_key, revision, instance.instance_id, reason)
            )
