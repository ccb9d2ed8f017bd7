"""Readiness from facts: what runs versus what the manifest wants, and what went wrong.

* A component is ready when as many instances carrying the application's annotation run as wanted (matched by
  key) and the reconciler recorded no failure for it (a failed start or live update, a refused command).
* A link is ``linked`` only when every running instance of its provider reports it taken
  (:mod:`lattice.provider.status`); ``refused`` when one refused it, with the provider's reason (a port in use);
  ``pending`` while it is not stored or not applied yet; ``unconfirmed`` when the provider does not report link
  states (a provider not built on this SDK): stored, but nobody can say whether it serves.
* The application is ready when every component and link is, and the planner has nothing left to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from lattice.app import plan
from lattice.app.facts import Facts
from lattice.app.manifest import Application, Component
from lattice.app.plan import LatticeView, Match, WantedLink
from lattice.app.store import AppFailures
from lattice.provider.status import LINKED, REFUSED

PENDING = "pending"
UNCONFIRMED = "unconfirmed"


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    type: str
    image: str
    wanted: int
    running: int
    hosts: tuple[str, ...] = ()
    error: str = ""

    @property
    def ready(self) -> bool:
        return self.running == self.wanted and not self.error


@dataclass(frozen=True)
class LinkStatus:
    source: str
    target: str
    contract: str
    values: Mapping[str, str]
    state: str  # linked | refused | pending | unconfirmed
    error: str = ""

    @property
    def ready(self) -> bool:
        return self.state in (LINKED, UNCONFIRMED)

    @property
    def label(self) -> str:
        shown = ",".join(f"{k}={v}" for k, v in sorted(self.values.items()))
        return f"{self.source} → {self.target}" + (f" ({shown})" if shown else "")


@dataclass(frozen=True)
class AppStatus:
    name: str
    components: tuple[ComponentStatus, ...]
    links: tuple[LinkStatus, ...] = ()
    pending: tuple[str, ...] = field(default=())
    deployment: int = 0

    @property
    def links_wanted(self) -> int:
        return len(self.links)

    @property
    def links_present(self) -> int:
        return sum(1 for x in self.links if x.ready)

    @property
    def ready(self) -> bool:
        """Every count and link as wanted, no failure, and nothing left to do (e.g. no live update pending)."""
        return all(c.ready for c in self.components) and all(x.ready for x in self.links) and not self.pending

    @property
    def failed(self) -> bool:
        """Something is known to have gone wrong (not merely slow): a failed start or update, a refused link."""
        return any(c.error for c in self.components) or any(x.state == REFUSED for x in self.links)

    @property
    def word(self) -> str:
        """One word for tables and the dashboard: ``ready``, ``failed`` or ``reconciling``."""
        return "ready" if self.ready else "failed" if self.failed else "reconciling"

    def problems(self) -> list[str]:
        found = [f"{c.name}: {c.error}" for c in self.components if c.error]
        return found + [f"link {x.label}: refused: {x.error}" for x in self.links if x.state == REFUSED]


def _component(comp: Component, match: Match, view: LatticeView, error: str) -> ComponentStatus:
    if comp.is_actor:
        per_host = {h.id: plan.owned_count(h, match) for h in view.hosts}
    else:
        per_host = {h.id: len(plan.running_providers(h, match)) for h in view.hosts}
    on = tuple(sorted(h for h, n in per_host.items() if n))
    return ComponentStatus(comp.name, comp.type, comp.image, comp.scaler.replicas, sum(per_host.values()), on, error)


def _link_state(app: Application, wanted: WantedLink, view: LatticeView, facts: Facts | None) -> tuple[str, str]:
    link = wanted.definition
    if link is None:
        return PENDING, f"waiting for {wanted.source} and {wanted.target} to run"
    if not plan.link_is_current(link, view):
        return PENDING, "not stored yet"
    match = plan.matcher(app.component(wanted.target), facts)
    instances = [(h.id, p.provider_id) for h in view.hosts for p in plan.running_providers(h, match)]
    if not instances:
        return PENDING, f"{wanted.target} is not running"
    states = []
    for host_id, provider_id in instances:
        report = next(
            (
                r
                for r in view.reports
                if (r.provider_id, r.link_name, r.host_id) == (provider_id, link.link_name, host_id)
            ),
            None,
        )
        if report is None:
            states.append((UNCONFIRMED, "the provider does not report link states"))
            continue
        found = report.link(link.actor_id)
        if found is None:
            states.append((PENDING, "not applied by the provider yet"))
        else:
            states.append((found.state, found.error))
    for state in (REFUSED, PENDING, UNCONFIRMED):
        if any(s == state for s, _ in states):
            return state, next(e for s, e in states if s == state)
    return LINKED, ""


def status(
    app: Application,
    view: LatticeView,
    facts: Facts | None = None,
    failures: AppFailures | None = None,
    deployment: int = 0,
) -> AppStatus:
    """What runs versus what is wanted, per component and per link (pass a view observed with reports)."""
    errors = failures.components if failures else {}
    comps = tuple(_component(c, plan.matcher(c, facts), view, errors.get(c.name, "")) for c in app.components)
    links = []
    for wanted in plan.wanted_links(app, view, facts):
        state, error = _link_state(app, wanted, view, facts)
        trait = next(t for t in app.component(wanted.source).links if t.target == wanted.target)
        contract = app.component(wanted.target).contract
        links.append(LinkStatus(wanted.source, wanted.target, contract, dict(trait.values), state, error))
    pending = tuple(type(a).__name__ for a in plan.plan(app, view, facts))
    return AppStatus(app.name, comps, tuple(links), pending, deployment)
