"""From a manifest and what the lattice runs now, the commands that bring the lattice to the manifest.

Pure functions: no NATS, no clock. Only instances annotated with the application's name
(``wasmcloud.dev/appspec``) count as the application's, so other workloads are never touched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from lattice.app.errors import Unsatisfiable
from lattice.app.manifest import APP_ANNOTATION, Application, Component
from lattice.wire import LinkDefinition


@dataclass(frozen=True)
class ActorView:
    actor_id: str
    image_ref: str
    app_instances: int  # instances carrying this application's annotation
    revision: int = 0  # the lowest revision among them


@dataclass(frozen=True)
class ProviderView:
    provider_id: str
    image_ref: str
    link_name: str
    contract_id: str
    app_owned: bool


@dataclass(frozen=True)
class HostView:
    id: str
    labels: Mapping[str, str]
    actors: tuple[ActorView, ...] = ()
    providers: tuple[ProviderView, ...] = ()


@dataclass(frozen=True)
class LatticeView:
    hosts: tuple[HostView, ...]
    links: tuple[LinkDefinition, ...] = ()


@dataclass(frozen=True)
class StartActor:
    host_id: str
    image_ref: str
    count: int
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StopActor:
    host_id: str
    actor_id: str
    count: int
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class UpdateActor:
    host_id: str
    actor_id: str
    image_ref: str
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StartProvider:
    host_id: str
    image_ref: str
    link_name: str
    config: str | None
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StopProvider:
    host_id: str
    provider_id: str
    link_name: str
    contract_id: str


@dataclass(frozen=True)
class PutLink:
    link: LinkDefinition


@dataclass(frozen=True)
class DeleteLink:
    actor_id: str
    contract_id: str
    link_name: str


Action = StartActor | StopActor | UpdateActor | StartProvider | StopProvider | PutLink | DeleteLink


def annotations_for(app: Application) -> dict[str, str]:
    return {APP_ANNOTATION: app.name}


def _matches(labels: Mapping[str, str], requirements: Mapping[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in requirements.items())


def _shares(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` by weight, largest remainders first; zero weights get nothing."""
    weight_sum = sum(weights)
    if weight_sum == 0:
        return [0 for _ in weights]
    exact = [total * w / weight_sum for w in weights]
    shares = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (exact[i] - shares[i], weights[i]), reverse=True)
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _spread_groups(comp: Component, hosts: Sequence[HostView]) -> list[tuple[int, list[HostView]]]:
    """(replicas, eligible hosts) per spread; one group over every host when there are no spreads."""
    if not comp.scaler.spread:
        return [(comp.scaler.replicas, list(hosts))]
    shares = _shares(comp.scaler.replicas, [s.weight for s in comp.scaler.spread])
    return [
        (share, [h for h in hosts if _matches(h.labels, s.requirements)])
        for share, s in zip(shares, comp.scaler.spread, strict=True)
    ]


def check_satisfiable(app: Application, hosts: Sequence[HostView]) -> None:
    """Refuse, before any change, a component whose replicas have no host to go to."""
    if not hosts:
        raise Unsatisfiable("no host answered on this lattice: start one with `lattice up`")
    for comp in app.components:
        for (share, eligible), spread in zip(_spread_groups(comp, hosts), comp.scaler.spread or [None], strict=True):
            if share and not eligible:
                where = f"spread {spread.name!r} requirements {dict(spread.requirements)}" if spread else "any host"
                raise Unsatisfiable(f"component {comp.name!r}: no host matches {where}")


def _actor_count(host: HostView, image: str) -> int:
    return sum(a.app_instances for a in host.actors if a.image_ref == image)


def _actor_targets(comp: Component, hosts: Sequence[HostView]) -> dict[str, int]:
    """Instances wanted per host: spread by weight, then evenly, favouring hosts that already run some."""
    wanted: dict[str, int] = {h.id: 0 for h in hosts}
    for share, eligible in _spread_groups(comp, hosts):
        if not eligible:
            continue
        ranked = sorted(eligible, key=lambda h: (-_actor_count(h, comp.image), h.id))
        base, extra = divmod(share, len(ranked))
        for i, host in enumerate(ranked):
            wanted[host.id] += base + (1 if i < extra else 0)
    return wanted


def _has_provider(host: HostView, comp: Component) -> bool:
    return any(p.image_ref == comp.image and p.link_name == comp.link_name for p in host.providers)


def _provider_targets(comp: Component, hosts: Sequence[HostView]) -> set[str]:
    """Hosts that should run the provider: at most one instance per host, favouring where it already runs."""
    chosen: set[str] = set()
    for share, eligible in _spread_groups(comp, hosts):
        ranked = sorted((h for h in eligible if h.id not in chosen), key=lambda h: (not _has_provider(h, comp), h.id))
        chosen.update(h.id for h in ranked[:share])
    return chosen


def _plan_actor(app: Application, comp: Component, hosts: Sequence[HostView], revision: int | None) -> list[Action]:
    notes = annotations_for(app)
    actions: list[Action] = []
    targets = _actor_targets(comp, hosts)
    for host in hosts:
        stale = [a for a in host.actors if a.image_ref == comp.image and a.app_instances and revision is not None]
        actions.extend(
            UpdateActor(host.id, a.actor_id, comp.image, notes) for a in stale if a.revision < (revision or 0)
        )
        want = targets[host.id]
        have = _actor_count(host, comp.image)
        if want > have:
            actions.append(StartActor(host.id, comp.image, want - have, notes))
        elif want < have:
            actor_id = next(a.actor_id for a in host.actors if a.image_ref == comp.image and a.app_instances)
            actions.append(StopActor(host.id, actor_id, have - want, notes))
    return actions


def _plan_provider(app: Application, comp: Component, hosts: Sequence[HostView]) -> list[Action]:
    targets = _provider_targets(comp, hosts)
    actions: list[Action] = []
    for host in hosts:
        running = [p for p in host.providers if p.image_ref == comp.image and p.link_name == comp.link_name]
        if host.id in targets and not running:
            actions.append(StartProvider(host.id, comp.image, comp.link_name, comp.config, annotations_for(app)))
        elif host.id not in targets:
            actions.extend(
                StopProvider(host.id, p.provider_id, p.link_name, p.contract_id) for p in running if p.app_owned
            )
    return actions


def _find_actor_id(view: LatticeView, image: str) -> str | None:
    return next((a.actor_id for h in view.hosts for a in h.actors if a.image_ref == image), None)


def _find_provider_id(view: LatticeView, comp: Component) -> str | None:
    return next(
        (
            p.provider_id
            for h in view.hosts
            for p in h.providers
            if p.image_ref == comp.image and p.link_name == comp.link_name
        ),
        None,
    )


def desired_links(app: Application, view: LatticeView) -> list[LinkDefinition]:
    """Links whose two ends both run somewhere already (ids come from what runs)."""
    links: list[LinkDefinition] = []
    for comp in app.actors:
        actor_id = _find_actor_id(view, comp.image)
        for trait in comp.links:
            target = app.component(trait.target)
            provider_id = _find_provider_id(view, target)
            if actor_id and provider_id:
                links.append(
                    LinkDefinition(actor_id, provider_id, target.contract, target.link_name, dict(trait.values))
                )
    return links


def plan(app: Application, view: LatticeView, revisions: Mapping[str, int] | None = None) -> list[Action]:
    """Everything to do now; an empty list means the lattice matches the manifest.

    ``revisions`` maps an actor image to the revision its module carries now; instances running an older one are
    live-updated (so rebuilding an actor and redeploying, or just waiting for the next pass, rolls it out).
    """
    actions: list[Action] = []
    for comp in app.components:
        if comp.is_actor:
            actions += _plan_actor(app, comp, view.hosts, (revisions or {}).get(comp.image))
        else:
            actions += _plan_provider(app, comp, view.hosts)
    current = {link.identity: link for link in view.links}
    for link in desired_links(app, view):
        existing = current.get(link.identity)
        if existing is None or existing.provider_id != link.provider_id or dict(existing.values) != dict(link.values):
            actions.append(PutLink(link))
    return actions


def plan_removal(app: Application, view: LatticeView) -> list[Action]:
    """Everything to stop and unlink for ``app undeploy``."""
    actions: list[Action] = []
    for link in desired_links(app, view):
        actions.append(DeleteLink(link.actor_id, link.contract_id, link.link_name))
    notes = annotations_for(app)
    for host in view.hosts:
        for comp in app.components:
            if comp.is_actor:
                count = _actor_count(host, comp.image)
                actor_id = next((a.actor_id for a in host.actors if a.image_ref == comp.image), "")
                if count and actor_id:
                    actions.append(StopActor(host.id, actor_id, count, notes))
            else:
                actions.extend(
                    StopProvider(host.id, p.provider_id, p.link_name, p.contract_id)
                    for p in host.providers
                    if p.image_ref == comp.image and p.link_name == comp.link_name and p.app_owned
                )
    return actions
