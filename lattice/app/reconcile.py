"""The leader-elected, event-driven loop every host runs to keep deployed applications in place (ADR 0014).

One pass: find the hosts, take or renew the lease (taking over at once from a holder that no longer answers),
then per stored application: observe → plan → carry out (subscribe, send, wait for every outcome) → record
failures. A pass that acted is followed at once by another, so links whose keys were only learnt from a start
are put without waiting. Between passes the loop sleeps until a lattice event that can change what runs arrives
(a host, actor or provider stopped, a link deleted or refused, an application stored or removed), with the
interval as a backstop. On a clean stop the lease is released, so a restarted host takes over at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lattice import subjects
from lattice.app import manifest, plan
from lattice.app.actions import DEFAULT_OUTCOME_TIMEOUT_S, PassResult, carry_out
from lattice.app.errors import AppError
from lattice.app.facts import Facts, ModuleFacts, current_facts
from lattice.app.manifest import Application
from lattice.app.observe import HostTracker, observe
from lattice.app.store import AppFailures, AppStore, StoredApp
from lattice.control import ControlClient, LatticeEvent
from lattice.control.errors import ControlError, PayloadError
from lattice.control.replies import Host

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 5.0
STOP_TIMEOUT_S = 5.0
MAX_BACK_TO_BACK_PASSES = 5
TRIGGER_EVENTS = frozenset(
    {
        "host_started",
        "host_stopped",
        "actor_stopped",
        "actors_stopped",
        "provider_stopped",
        "health_check_failed",
        "linkdef_deleted",
        "linkdef_refused",
    }
)


def stored_document(
    app_doc: Mapping[str, Any], base_dir: Path, facts: Facts | None = None, deployment: int = 1
) -> dict[str, Any]:
    """What goes into the store: the manifest as written, the folder its relative refs resolve against, the facts
    of its modules (keys, revisions, hashes) and the deployment revision."""
    return {
        "manifest": dict(app_doc),
        "base_dir": str(base_dir),
        "facts": {name: f.to_json() for name, f in (facts or {}).items()},
        "deployment": deployment,
    }


def application(stored: StoredApp) -> Application:
    doc = stored.document
    if not isinstance(doc.get("manifest"), dict):
        raise AppError(f"stored application {stored.name!r} has no manifest")
    return manifest.parse(doc["manifest"], Path(str(doc.get("base_dir") or ".")))


def stored_facts(stored: StoredApp | None) -> dict[str, ModuleFacts]:
    raw = stored.document.get("facts") if stored is not None else None
    found: dict[str, ModuleFacts] = {}
    for name, body in (raw if isinstance(raw, dict) else {}).items():
        facts = ModuleFacts.from_json(body)
        if facts is not None:
            found[str(name)] = facts
    return found


async def reconcile_once(
    ctl: ControlClient,
    app: Application,
    facts: Facts | None = None,
    hosts: list[Host] | None = None,
    timeout_s: float = DEFAULT_OUTCOME_TIMEOUT_S,
) -> PassResult:
    """One observe → plan → carry out pass for one application."""
    view = await observe(ctl, app.name, hosts)
    if not view.hosts:
        log.debug("app %s: no host answered", app.name)
        return PassResult()
    actions = plan.plan(app, view, facts)
    if not actions:
        return PassResult()
    log.info("app %s: %s", app.name, ", ".join(type(a).__name__ for a in actions))
    return await carry_out(ctl, app, actions, facts, timeout_s)


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
        replicas: int = 1,
        interval_s: float = DEFAULT_INTERVAL_S,
        outcome_timeout_s: float = DEFAULT_OUTCOME_TIMEOUT_S,
    ) -> None:
        self._nc = nc
        self._lattice = lattice
        self._holder = holder
        self._ctl = ControlClient(nc, lattice, prefix=ctl_prefix)
        self._store = AppStore(nc, lattice, js_domain, replicas)
        self._interval_s = interval_s
        self._outcome_timeout_s = outcome_timeout_s
        self._lease_ttl_s = 3 * interval_s + outcome_timeout_s
        self._hosts = HostTracker()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._subs: list[Any] = []
        self._stopping = False
        self.passes = 0

    async def start(self) -> None:
        async def on_event(msg: Any) -> None:
            try:
                event = LatticeEvent.decode(msg.data)
            except PayloadError:
                return
            if self._hosts.see(event) or event.name in TRIGGER_EVENTS:
                self._wake.set()

        async def on_app_change(msg: Any) -> None:
            key = msg.subject.rsplit(".", 1)[-1]
            if key.startswith(subjects.APP_KEY_PREFIX):  # not our own lease renewals or failure records
                self._wake.set()

        self._subs.append(await self._nc.subscribe(subjects.events(self._lattice), cb=on_event))
        bucket = subjects.apps_bucket(self._lattice)
        self._subs.append(await self._nc.subscribe(subjects.kv_subject(bucket, ">"), cb=on_app_change))
        self._task = asyncio.create_task(self._loop(), name=f"reconciler-{self._lattice}")

    def stopping(self) -> bool:
        """True once :meth:`stop` began (a method, so checks are not narrowed away across awaits)."""
        return self._stopping

    async def stop(self) -> None:
        """Stop the loop (a pass in flight is cancelled) and release the lease if this host holds it."""
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
        with contextlib.suppress(Exception):
            if await self._store.release_lease(self._holder):
                log.info("reconciler lease released")

    async def _loop(self) -> None:
        full, back_to_back = True, 0
        while not self._stopping:
            self._wake.clear()
            acted = failed = False
            try:
                acted, failed = await self.run_pass(full)
            except Exception as exc:  # a pass must never kill the loop
                log.warning("reconcile pass failed: %s", exc)
            back_to_back = back_to_back + 1 if acted and not failed else 0
            if 0 < back_to_back < MAX_BACK_TO_BACK_PASSES:
                full = False
                continue  # what a start taught us (a provider's key) may allow more: plan again at once
            woken = False
            with contextlib.suppress(TimeoutError):
                woken = await asyncio.wait_for(self._wake.wait(), self._interval_s)
            full = not woken  # a backstop pass pings for the whole window, to find hosts nobody announced

    async def _alive(self, host_id: str) -> bool:
        return any(h.id == host_id for h in await self._ctl.ping_hosts(expect={host_id}))

    async def run_pass(self, full: bool = True) -> tuple[bool, bool]:
        """Reconcile every stored application if this host holds the lease; (acted, something failed)."""
        if self.stopping():
            return False, False
        hosts = await self._hosts.hosts(self._ctl, full)
        if not await self._store.acquire_lease(self._holder, self._lease_ttl_s, self._alive):
            log.debug("reconciler: another host holds the lease")
            return False, False
        self.passes += 1
        acted = failed = False
        for stored in await self._store.list():
            if self.stopping():
                break
            try:
                result = await self._reconcile(stored, hosts)
            except (AppError, ControlError) as exc:
                log.warning("app %s cannot be reconciled: %s", stored.name, exc)
                continue
            acted = acted or bool(result.actions)
            failed = failed or bool(result.failures or result.errors)
        return acted, failed

    async def _reconcile(self, stored: StoredApp, hosts: list[Host]) -> PassResult:
        app = application(stored)
        facts = current_facts(app, stored_facts(stored))
        result = await reconcile_once(self._ctl, app, facts, hosts, self._outcome_timeout_s)
        for error in result.errors:
            log.warning("app %s: %s", app.name, error)
        for name, error in result.failures.items():
            log.warning("app %s: %s: %s", app.name, name, error)
        await self._record(app, stored, result)
        return result

    async def _record(self, app: Application, stored: StoredApp, result: PassResult) -> None:
        """Keep failures until a pass finds nothing to do: then every component runs as wanted."""
        before = await self._store.failures(stored.name)
        now = {**before.components, **result.failures} if result.actions else {}
        if now != dict(before.components):
            await self._store.put_failures(stored.name, AppFailures(now))
