"""Keep the lattice at its deployed applications: observe, plan, act — as a leader-elected loop.

Every host runs a :class:`Reconciler`. Only the holder of the lease in ``LATTICEAPPS_{lattice}`` acts, so two
hosts never start the same replicas. A pass runs every ``interval_s``, and sooner when an application is deployed
or a lifecycle event says something stopped. After acting on an application the loop lets the lattice settle
(``settle_s``) before planning it again, since starts are acknowledged before they finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lattice import subjects
from lattice.app import manifest, plan
from lattice.app.errors import AppError
from lattice.app.manifest import APP_ANNOTATION, Application
from lattice.app.plan import ActorView, HostView, LatticeView, ProviderView
from lattice.app.store import AppStore, StoredApp
from lattice.claims import ClaimsError, read_claims
from lattice.control import ControlClient
from lattice.control.errors import ControlError
from lattice.control.replies import ActorDescription, HostInventory
from lattice.wire import LinkDefinition

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 5.0
DEFAULT_SETTLE_S = 6.0
STOP_TIMEOUT_S = 5.0
TRIGGER_EVENTS = frozenset(
    {"host_stopped", "actor_stopped", "actors_stopped", "provider_stopped", "health_check_failed", "host_started"}
)


def stored_document(app_doc: Mapping[str, Any], base_dir: Path) -> dict[str, Any]:
    """What goes into the store: the manifest as written, and the folder its relative refs resolve against."""
    return {"manifest": dict(app_doc), "base_dir": str(base_dir)}


def application(stored: StoredApp) -> Application:
    doc = stored.document
    if not isinstance(doc.get("manifest"), dict):
        raise AppError(f"stored application {stored.name!r} has no manifest")
    return manifest.parse(doc["manifest"], Path(str(doc.get("base_dir") or ".")))


def _host_view(inv: HostInventory, app_name: str) -> HostView:
    def mine(notes: Mapping[str, str]) -> bool:
        return notes.get(APP_ANNOTATION) == app_name

    def actor(a: ActorDescription) -> ActorView:
        owned = [i for i in a.instances if mine(i.annotations)]
        return ActorView(a.id, a.image_ref, len(owned), min((i.revision for i in owned), default=0))

    actors = tuple(actor(a) for a in inv.actors)
    providers = tuple(
        ProviderView(p.id, p.image_ref, p.link_name, p.contract_id, mine(p.annotations)) for p in inv.providers
    )
    return HostView(inv.host_id, dict(inv.labels), actors, providers)


def view_of(inventories: Sequence[HostInventory], links: Sequence[LinkDefinition], app_name: str) -> LatticeView:
    """The planner's view of ``app_name`` from inventories and links already fetched (the dashboard's snapshot)."""
    return LatticeView(tuple(_host_view(inv, app_name) for inv in inventories), tuple(links))


async def observe(ctl: ControlClient, app_name: str) -> LatticeView:
    """What the lattice runs now, as the planner sees it; hosts that do not answer are left out."""
    hosts = await ctl.ping_hosts()
    inventories = await asyncio.gather(*(ctl.get_inventory(h.id) for h in hosts), return_exceptions=True)
    found = [inv for inv in inventories if isinstance(inv, HostInventory)]
    links = await ctl.get_links() if found else []
    return view_of(found, links, app_name)


async def act(ctl: ControlClient, action: plan.Action) -> None:
    match action:
        case plan.StartActor(host_id, image, count, notes):
            await ctl.start_actor(host_id, image, count, notes)
        case plan.StopActor(host_id, actor_id, count, notes):
            await ctl.stop_actor(host_id, actor_id, count, notes)
        case plan.UpdateActor(host_id, actor_id, image, notes):
            await ctl.update_actor(host_id, actor_id, image, notes)
        case plan.StartProvider(host_id, image, link_name, config, notes):
            await ctl.start_provider(host_id, image, link_name, config, notes)
        case plan.StopProvider(host_id, provider_id, link_name, contract_id):
            await ctl.stop_provider(host_id, provider_id, link_name, contract_id)
        case plan.PutLink(link):
            await ctl.put_link(link)
        case plan.DeleteLink(actor_id, contract_id, link_name):
            await ctl.delete_link(actor_id, contract_id, link_name)


async def apply(ctl: ControlClient, actions: list[plan.Action]) -> list[str]:
    """Carry out actions one by one; returns the errors (an action that fails does not stop the others)."""
    errors = []
    for action in actions:
        try:
            await act(ctl, action)
        except ControlError as exc:
            errors.append(f"{type(action).__name__} on {getattr(action, 'host_id', 'lattice')}: {exc}")
    return errors


def module_revisions(app: Application) -> dict[str, int]:
    """The revision each local actor module carries now (what a rebuild + re-sign changed)."""
    found = {}
    for comp in app.actors:
        if comp.image.startswith("file://"):
            try:
                claims = read_claims(Path(comp.image.removeprefix("file://")).read_bytes(), verify=False)
            except (OSError, ClaimsError):
                continue  # the host reports an unreadable module when it tries to start it
            found[comp.image] = claims.metadata.rev or claims.issued_at
    return found


async def reconcile_once(ctl: ControlClient, app: Application) -> list[plan.Action]:
    """One observe → plan → act pass; returns what it did."""
    view = await observe(ctl, app.name)
    if not view.hosts:
        log.debug("app %s: no host answered", app.name)
        return []
    actions = plan.plan(app, view, module_revisions(app))
    for error in await apply(ctl, actions):
        log.warning("app %s: %s", app.name, error)
    return actions


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    type: str
    image: str
    wanted: int
    running: int
    hosts: tuple[str, ...] = ()

    @property
    def ready(self) -> bool:
        return self.running == self.wanted


@dataclass(frozen=True)
class AppStatus:
    name: str
    components: tuple[ComponentStatus, ...]
    links_wanted: int
    links_present: int
    pending: tuple[str, ...] = field(default=())

    @property
    def ready(self) -> bool:
        """Every count and link as wanted, and nothing left to do (e.g. no live update pending)."""
        return all(c.ready for c in self.components) and self.links_present == self.links_wanted and not self.pending


def status(app: Application, view: LatticeView) -> AppStatus:
    """What runs versus what is wanted, per component and for links."""
    comps = []
    for comp in app.components:
        if comp.is_actor:
            per_host = {h.id: sum(a.app_instances for a in h.actors if a.image_ref == comp.image) for h in view.hosts}
        else:
            per_host = {
                h.id: sum(1 for p in h.providers if p.image_ref == comp.image and p.link_name == comp.link_name)
                for h in view.hosts
            }
        running_on = tuple(sorted(h for h, n in per_host.items() if n))
        comps.append(
            ComponentStatus(comp.name, comp.type, comp.image, comp.scaler.replicas, sum(per_host.values()), running_on)
        )
    wanted_links = sum(len(c.links) for c in app.actors)
    present = {link.identity: link for link in view.links}
    ok_links = sum(
        1
        for link in plan.desired_links(app, view)
        if link.identity in present and present[link.identity].provider_id == link.provider_id
    )
    pending = tuple(type(a).__name__ for a in plan.plan(app, view, module_revisions(app)))
    return AppStatus(app.name, tuple(comps), wanted_links, ok_links, pending)


class Reconciler:
    """The leader-elected loop a host runs to keep deployed applications in place."""

    def __init__(
        self,
        nc: Any,
        lattice: str,
        holder: str,
        *,
        ctl_prefix: str = subjects.DEFAULT_CTL_PREFIX,
        js_domain: str | None = None,
        interval_s: float = DEFAULT_INTERVAL_S,
        settle_s: float = DEFAULT_SETTLE_S,
    ) -> None:
        self._nc = nc
        self._lattice = lattice
        self._holder = holder
        self._ctl = ControlClient(nc, lattice, prefix=ctl_prefix)
        self._store = AppStore(nc, lattice, js_domain)
        self._interval_s = interval_s
        self._settle_s = settle_s
        self._wake = asyncio.Event()
        self._settling: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None
        self._subs: list[Any] = []
        self._stopping = False

    async def start(self) -> None:
        async def on_event(msg: Any) -> None:
            if any(f'"com.wasmcloud.lattice.{name}"'.encode() in msg.data for name in TRIGGER_EVENTS):
                self._wake.set()

        async def on_app_change(msg: Any) -> None:
            if not msg.subject.endswith(f".{subjects.RECONCILER_LEASE_KEY}"):  # our own lease renewals
                self._wake.set()

        self._subs.append(await self._nc.subscribe(subjects.events(self._lattice), cb=on_event))
        bucket = subjects.apps_bucket(self._lattice)
        self._subs.append(await self._nc.subscribe(subjects.kv_subject(bucket, ">"), cb=on_app_change))
        self._task = asyncio.create_task(self._loop(), name=f"reconciler-{self._lattice}")

    def stopping(self) -> bool:
        """True once :meth:`stop` began (a method, so checks are not narrowed away across awaits)."""
        return self._stopping

    async def stop(self) -> None:
        """Stop the loop; a pass in flight is cancelled (and abandoned if a library swallows the cancellation)."""
        self._stopping = True
        self._wake.set()
        for sub in self._subs:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
        self._subs.clear()
        if self._task is not None:
            task, self._task = self._task, None
            task.cancel()
            done, _ = await asyncio.wait({task}, timeout=STOP_TIMEOUT_S)
            if not done:
                log.warning("reconciler did not stop within %.0fs; abandoning its pass", STOP_TIMEOUT_S)

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                await self.run_pass()
            except Exception as exc:  # a pass must never kill the loop
                log.warning("reconcile pass failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval_s)
            self._wake.clear()

    async def run_pass(self) -> int:
        """Reconcile every stored application if this host holds the lease; returns the number of actions."""
        if self.stopping():
            return 0
        if not await self._store.acquire_lease(self._holder, ttl_s=self._interval_s * 3):
            log.debug("reconciler: another host holds the lease")
            return 0
        done = 0
        now = time.monotonic()
        for stored in await self._store.list():
            if self.stopping():
                break
            if self._settling.get(stored.name, 0.0) > now:
                continue
            try:
                actions = await reconcile_once(self._ctl, application(stored))
            except (AppError, ControlError) as exc:
                log.warning("app %s cannot be reconciled: %s", stored.name, exc)
                continue
            if actions:
                log.info("app %s: %d action(s)", stored.name, len(actions))
                self._settling[stored.name] = time.monotonic() + self._settle_s
                done += len(actions)
        return done
