"""From a manifest and what the lattice runs now, the commands that bring the lattice to the manifest.

Pure functions: no NATS, no clock. Only instances annotated with the application's name
(``wasmcloud.dev/appspec``) count as the application's, so other workloads are never touched, and every annotated
instance no component accounts for is stopped. Running actors and providers are matched to components by key
(from :mod:`lattice.app.facts`), and by normalised ref only when no key is known: never by the text of a path.
Links are planned as soon as both keys are known, before the starts they need (a provider receives the links
stored for it when it starts). An actor whose registry ref changed only in its tag or digest (``r/echo:1`` →
``r/echo:2``) is live-updated to the new ref, not started again: a host runs one ref per actor.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from lattice.app.errors import Unsatisfiable
from lattice.app.facts import Facts, ModuleFacts
from lattice.app.manifest import APP_ANNOTATION, Application, Component
from lattice.oci.errors import OciRefInvalid
from lattice.oci.refs import ImageRef, is_local_ref, parse_ref
from lattice.provider.status import ProviderReport
from lattice.refs import canonical_ref
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
    reports: tuple[ProviderReport, ...] = ()  # what SDK providers say about their links (only for status)


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


# --- matching what runs to components -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """Which running actors and providers are a component: by key when known, else by normalised ref."""

    comp: Component
    facts: ModuleFacts | None = None

    @property
    def key(self) -> str | None:
        return self.facts.key if self.facts else None

    def actor(self, a: ActorView) -> bool:
        if self.key:
            return a.actor_id == self.key
        return canonical_ref(a.image_ref) == canonical_ref(self.comp.image)

    def retagged(self, a: ActorView) -> bool:
        """An app instance of this component's registry repository running from another tag or digest (only
        when no key is known: with a key, revisions decide)."""
        if self.key or not a.app_instances or self.actor(a):
            return False
        wanted = repository_of(self.comp.image)
        return wanted is not None and repository_of(a.image_ref) == wanted

    def provider(self, p: ProviderView) -> bool:
        if p.link_name != self.comp.link_name:
            return False
        if self.key:
            return p.provider_id == self.key
        return canonical_ref(p.image_ref) == canonical_ref(self.comp.image)


def repository_of(ref: str) -> str | None:
    """``registry/repository`` (or ``lattice://repository``) of a registry ref; None for files, ``python:`` and
    refs that do not parse."""
    text = canonical_ref(ref)
    if text.startswith(("python:", "file://")) or is_local_ref(text):
        return None
    try:
        parsed = parse_ref(text)
    except OciRefInvalid:
        return None
    return (
        f"{parsed.registry}/{parsed.repository}" if isinstance(parsed, ImageRef) else f"lattice://{parsed.repository}"
    )


def matcher(comp: Component, facts: Facts | None) -> Match:
    return Match(comp, (facts or {}).get(comp.name))


def owned_count(host: HostView, match: Match) -> int:
    """Instances of the component on ``host`` that carry the application's annotation."""
    return sum(a.app_instances for a in host.actors if match.actor(a))


def running_providers(host: HostView, match: Match) -> list[ProviderView]:
    return [p for p in host.providers if match.provider(p)]


def _actor_targets(comp: Component, match: Match, hosts: Sequence[HostView]) -> dict[str, int]:
    """Instances wanted per host: spread by weight, then evenly, favouring hosts that already run some."""
    wanted: dict[str, int] = {h.id: 0 for h in hosts}
    for share, eligible in _spread_groups(comp, hosts):
        if not eligible:
            continue
        ranked = sorted(eligible, key=lambda h: (-owned_count(h, match), h.id))
        base, extra = divmod(share, len(ranked))
        for i, host in enumerate(ranked):
            wanted[host.id] += base + (1 if i < extra else 0)
    return wanted


def _provider_targets(comp: Component, match: Match, hosts: Sequence[HostView]) -> set[str]:
    """Hosts that should run the provider: at most one instance per host, favouring where it already runs."""
    chosen: set[str] = set()
    for share, eligible in _spread_groups(comp, hosts):
        ranked = sorted(
            (h for h in eligible if h.id not in chosen), key=lambda h: (not running_providers(h, match), h.id)
        )
        chosen.update(h.id for h in ranked[:share])
    return chosen


def _retagged(match: Match, matches: Sequence[Match], host: HostView) -> list[ActorView]:
    """App instances on ``host`` to move to ``match``'s ref by live update: same repository, another tag, and no
    component runs them as they are."""
    return [a for a in host.actors if match.retagged(a) and not any(m.comp.is_actor and m.actor(a) for m in matches)]


def _plan_actor(app: Application, match: Match, matches: Sequence[Match], hosts: Sequence[HostView]) -> list[Action]:
    comp, notes = match.comp, annotations_for(app)
    actions: list[Action] = []
    targets = _actor_targets(comp, match, hosts)
    for host in hosts:
        mine = [a for a in host.actors if match.actor(a) and a.app_instances]
        retagged = _retagged(match, matches, host)
        actions += [UpdateActor(host.id, a.actor_id, comp.image, notes) for a in retagged]
        if match.facts is not None and match.facts.rev:
            actions += [
                UpdateActor(host.id, a.actor_id, comp.image, notes) for a in mine if a.revision < match.facts.rev
            ]
        want = targets[host.id]
        have = owned_count(host, match) + sum(a.app_instances for a in retagged)
        if want > have:
            actions.append(StartActor(host.id, comp.image, want - have, notes))
        elif want < have:
            actions.append(StopActor(host.id, (mine or retagged)[0].actor_id, have - want, notes))
    return actions


def _plan_provider(app: Application, match: Match, hosts: Sequence[HostView]) -> list[Action]:
    comp = match.comp
    targets = _provider_targets(comp, match, hosts)
    actions: list[Action] = []
    for host in hosts:
        running = running_providers(host, match)
        if host.id in targets and not running:
            actions.append(StartProvider(host.id, comp.image, comp.link_name, comp.config, annotations_for(app)))
        elif host.id not in targets:
            actions.extend(
                StopProvider(host.id, p.provider_id, p.link_name, p.contract_id) for p in running if p.app_owned
            )
    return actions


def _orphans(app: Application, matches: Sequence[Match], hosts: Sequence[HostView]) -> list[Action]:
    """The application's instances that no component accounts for (an old key, a component removed)."""
    notes, actions = annotations_for(app), list[Action]()
    for host in hosts:
        for a in host.actors:
            if a.app_instances and not any(m.comp.is_actor and (m.actor(a) or m.retagged(a)) for m in matches):
                actions.append(StopActor(host.id, a.actor_id, a.app_instances, notes))
        for p in host.providers:
            if p.app_owned and not any(not m.comp.is_actor and m.provider(p) for m in matches):
                actions.append(StopProvider(host.id, p.provider_id, p.link_name, p.contract_id))
    return actions


def _actor_id(view: LatticeView, match: Match) -> str | None:
    return match.key or next((a.actor_id for h in view.hosts for a in h.actors if match.actor(a)), None)


def _provider_id(view: LatticeView, match: Match) -> str | None:
    return match.key or next((p.provider_id for h in view.hosts for p in running_providers(h, match)), None)


@dataclass(frozen=True)
class WantedLink:
    """A link trait of the manifest: its two components and, once both keys are known, the definition."""

    source: str
    target: str
    definition: LinkDefinition | None


def wanted_links(app: Application, view: LatticeView, facts: Facts | None = None) -> list[WantedLink]:
    found: list[WantedLink] = []
    for comp in app.actors:
        actor_id = _actor_id(view, matcher(comp, facts))
        for trait in comp.links:
            target = app.component(trait.target)
            provider_id = _provider_id(view, matcher(target, facts))
            link = None
            if actor_id and provider_id:
                link = LinkDefinition(actor_id, provider_id, target.contract, target.link_name, dict(trait.values))
            found.append(WantedLink(comp.name, target.name, link))
    return found


def desired_links(app: Application, view: LatticeView, facts: Facts | None = None) -> list[LinkDefinition]:
    """The links whose two keys are known (from the facts, or from what runs)."""
    return [w.definition for w in wanted_links(app, view, facts) if w.definition is not None]


def link_is_current(link: LinkDefinition, view: LatticeView) -> bool:
    existing = next((x for x in view.links if x.identity == link.identity), None)
    return (
        existing is not None and existing.provider_id == link.provider_id and dict(existing.values) == dict(link.values)
    )


def plan(app: Application, view: LatticeView, facts: Facts | None = None) -> list[Action]:
    """Everything to do now, links first; an empty list means the lattice matches the manifest.

    ``facts`` holds the key, revision and hash of each component's module; app instances running an older
    revision are live-updated (so rebuilding an actor with a higher ``rev`` and redeploying rolls it out).
    """
    matches = [matcher(comp, facts) for comp in app.components]
    actions: list[Action] = [
        PutLink(link) for link in desired_links(app, view, facts) if not link_is_current(link, view)
    ]
    for match in matches:
        if not match.comp.is_actor:
            actions += _plan_provider(app, match, view.hosts)
    for match in matches:
        if match.comp.is_actor:
            actions += _plan_actor(app, match, matches, view.hosts)
    return actions + _orphans(app, matches, view.hosts)


def plan_removal(app: Application, view: LatticeView, facts: Facts | None = None) -> list[Action]:
    """For ``app undeploy``: remove the app's links, and stop every instance carrying its annotation (only those)."""
    actions: list[Action] = [
        DeleteLink(link.actor_id, link.contract_id, link.link_name)
        for link in desired_links(app, view, facts)
        if any(x.identity == link.identity and x.provider_id == link.provider_id for x in view.links)
    ]
    notes = annotations_for(app)
    for host in view.hosts:
        actions += [StopActor(host.id, a.actor_id, a.app_instances, notes) for a in host.actors if a.app_instances]
        actions += [
            StopProvider(host.id, p.provider_id, p.link_name, p.contract_id) for p in host.providers if p.app_owned
        ]
    return actions
