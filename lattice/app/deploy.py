"""Deploying, undeploying and watching an application: the one module behind ``lattice app``, ``lattice up`` and the
dashboard's actions and views, so all of them run the same checks and report the same errors and status.

Deploying reads the facts of every module (:mod:`lattice.app.facts`), refuses a module that changed without a
higher revision (unless forced: then the application's instances of it are stopped first, so the reconciler
starts the new module), and stores the manifest with its facts and a deployment revision. The hosts' reconciler
does the rest. Waiting is event-driven: the status is read again whenever a lattice event arrives (a start, a
stop, a link applied or refused), with a short poll as a backstop. Undeploying removes the manifest first (so
no reconciler starts anything again), then stops every instance carrying the application's annotation and
deletes its links.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lattice.app import manifest, plan
from lattice.app.actions import carry_out
from lattice.app.errors import AppError, AppNotDeployed, ManifestInvalid, StaleModule, Unsatisfiable
from lattice.app.facts import ModuleFacts, current_facts, read_facts, stale_without_rev
from lattice.app.manifest import Application
from lattice.app.observe import HostTracker, observe
from lattice.app.plan import LatticeView
from lattice.app.reconcile import application, stored_document, stored_facts
from lattice.app.status import AppStatus, status
from lattice.app.store import AppStore, StoredApp
from lattice.control import ControlClient, ControlTimeout, EventWatcher, LatticeEvent
from lattice.control.replies import Host

POLL_S = 1.0
DRAIN_S = 0.05  # events that come together (a batch of starts) are read together
MAX_DRAINED = 50
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Deployed:
    app: Application
    facts: dict[str, ModuleFacts]
    deployment: int  # 1 for the first deploy of this name, then +1 each time


def load(path: Path) -> tuple[Any, Path, Application]:
    """The manifest document, its folder and the validated application."""
    document, base_dir = manifest.read_document(path)
    return document, base_dir, manifest.parse(document, base_dir)


async def deploy(
    ctl: ControlClient,
    store: AppStore,
    path: Path,
    *,
    hosts: Sequence[Host] | None = None,
    force_update: bool = False,
    progress: Progress | None = None,
) -> Deployed:
    """Validate, check against what was deployed before (and ``hosts``, when given), then store.

    Nothing is stored when a check fails. Every error names the manifest: :class:`ManifestInvalid` (a bad file),
    :class:`NoHostsError` (``hosts`` given but empty), :class:`Unsatisfiable` (no host fits a spread),
    :class:`StaleModule` (a module changed without a higher revision and ``force_update`` is off).
    """
    try:
        document, base_dir, app = load(path)
        facts = read_facts(app)
    except ManifestInvalid as exc:
        raise ManifestInvalid(f"{path}: {exc}") from exc
    if hosts is not None:
        if not hosts:
            raise ctl.no_hosts()
        view = await observe(ctl, app.name, list(hosts))
        try:
            plan.check_satisfiable(app, view.hosts)
        except Unsatisfiable as exc:
            raise Unsatisfiable(f"cannot deploy {path}: {exc}") from exc
    previous = await store.get(app.name)
    old = stored_facts(previous)
    stale = [
        (c, msg)
        for c in app.actors
        if c.name in facts and (msg := stale_without_rev(c, old.get(c.name), facts[c.name]))
    ]
    if stale and not force_update:
        raise StaleModule(f"cannot deploy {path}: {stale[0][1]}")
    if stale:
        await _replace(ctl, app, [c.name for c, _ in stale], old, progress)
    deployment = previous.deployment + 1 if previous is not None else 1
    await store.put(app.name, stored_document(document, base_dir, facts, deployment))
    return Deployed(app, facts, deployment)


async def stored_app(ctl: ControlClient, store: AppStore, name: str) -> tuple[Application, StoredApp]:
    """The deployed application ``name`` and its stored record; :class:`AppNotDeployed` when there is none."""
    stored = await store.get(name)
    if stored is None:
        raise AppNotDeployed(f"no application {name!r} is deployed on lattice {ctl.lattice!r} (see `lattice app list`)")
    return application(stored), stored


@dataclass(frozen=True)
class Undeployed:
    name: str
    actions: int
    errors: list[str]  # the steps that failed (the rest were still carried out)


async def undeploy(ctl: ControlClient, store: AppStore, name: str) -> Undeployed:
    """Remove the manifest, then stop what the application runs and delete its links (and nothing else)."""
    app, stored = await stored_app(ctl, store, name)
    facts = current_facts(app, stored_facts(stored))
    await store.delete(app.name)  # first, so no reconciler starts anything again
    actions = plan.plan_removal(app, await observe(ctl, app.name), facts)
    result = await carry_out(ctl, app, actions, facts)
    return Undeployed(app.name, len(actions), result.errors + [f"{n}: {why}" for n, why in result.failures.items()])


async def _replace(
    ctl: ControlClient, app: Application, names: list[str], old: dict[str, ModuleFacts], progress: Progress | None
) -> None:
    """--force-update: stop the application's instances of modules that changed without a new revision."""
    view = await observe(ctl, app.name)
    keys = {old[n].key for n in names}
    notes = plan.annotations_for(app)
    stops: list[plan.Action] = [
        plan.StopActor(h.id, a.actor_id, a.app_instances, notes)
        for h in view.hosts
        for a in h.actors
        if a.actor_id in keys and a.app_instances
    ]
    if progress is not None:
        progress(f"--force-update: stopping {len(stops)} running instance group(s) of {', '.join(names)}")
    result = await carry_out(ctl, app, stops, old)
    if result.errors:
        raise AppError(f"--force-update could not stop the old instances: {result.errors[0]}")


async def current_status(
    ctl: ControlClient,
    store: AppStore,
    app: Application,
    hosts: list[Host] | None = None,
    *,
    view: LatticeView | None = None,
) -> AppStatus:
    """What runs versus what ``app`` wants; ``view`` when already observed with reports (the dashboard's)."""
    stored = await store.get(app.name)
    facts = current_facts(app, stored_facts(stored))
    if view is None:
        view = await observe(ctl, app.name, hosts, reports=True)
    deployment = stored.deployment if stored is not None else 0
    return status(app, view, facts, await store.failures(app.name), deployment)


async def wait_ready(
    ctl: ControlClient,
    store: AppStore,
    app: Application,
    timeout_s: float,
    progress: Progress | None = None,
    on_event: Callable[[LatticeEvent], None] | None = None,
) -> AppStatus:
    """The status once the application is ready, once something failed, or when ``timeout_s`` ran out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    tracker, last = HostTracker(), ""
    async with EventWatcher(ctl.nc, ctl.lattice) as events:
        while True:
            state = await current_status(ctl, store, app, await tracker.hosts(ctl))
            line = summary_line(state)
            if progress is not None and line != last:
                progress(line)
                last = line
            left = deadline - loop.time()
            if state.ready or state.failed or left <= 0:
                return state
            await _next_event(events, tracker, min(left, POLL_S), on_event)


async def _next_event(
    events: EventWatcher, tracker: HostTracker, timeout_s: float, on_event: Callable[[LatticeEvent], None] | None
) -> None:
    """Wait for the next event (or the poll interval); drain whatever else arrived with it."""
    wait = timeout_s
    try:
        for _ in range(MAX_DRAINED):
            event = await events.next(wait)
            tracker.see(event)
            if on_event is not None:
                on_event(event)
            wait = DRAIN_S
    except ControlTimeout:
        return


def summary_line(state: AppStatus) -> str:
    comps = ", ".join(f"{c.name} {c.running}/{c.wanted}" for c in state.components)
    return f"{comps}, links {state.links_present}/{state.links_wanted}"
