"""What the lattice runs now, as the planner and the status see it.

A ping gathers host replies for a whole window (1 s by default) because nobody knows how many hosts there are.
:class:`HostTracker` knows: it follows ``host_started`` / ``host_stopped`` / ``host_heartbeat`` events and the last
full ping, so most observations end as soon as every known host answered, and a full ping is only needed now and
then (a host that went away without a word is found by the window running out).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from lattice.app.manifest import APP_ANNOTATION
from lattice.app.plan import ActorView, HostView, LatticeView, ProviderView
from lattice.control import ControlClient, LatticeEvent
from lattice.control.replies import ActorDescription, Host, HostInventory
from lattice.provider.status import ProviderReport
from lattice.wire import LinkDefinition

JOIN_EVENTS = frozenset({"host_started", "host_heartbeat"})


class HostTracker:
    """The hosts of a lattice, kept from events between pings."""

    def __init__(self) -> None:
        self.known: set[str] = set()
        self._pinged = False

    def see(self, event: LatticeEvent) -> bool:
        """Follow a lifecycle event; True when the set of hosts changed."""
        if not event.source:
            return False
        if event.name in JOIN_EVENTS and event.source not in self.known:
            self.known.add(event.source)
            return event.name == "host_started"
        if event.name == "host_stopped" and event.source in self.known:
            self.known.discard(event.source)
            return True
        return False

    async def hosts(self, ctl: ControlClient, full: bool = False) -> list[Host]:
        """Every host: a full ping the first time and when ``full``, else until every known host answered."""
        found = await ctl.ping_hosts(expect=() if full or not self._pinged else self.known)
        self._pinged = True
        self.known = {h.id for h in found}
        return found


def host_view(inv: HostInventory, app_name: str) -> HostView:
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


def view_of(
    inventories: Sequence[HostInventory],
    links: Sequence[LinkDefinition],
    app_name: str,
    reports: Sequence[ProviderReport] = (),
) -> LatticeView:
    """The planner's view of ``app_name`` from inventories, links and reports already fetched (the dashboard's)."""
    return LatticeView(tuple(host_view(inv, app_name) for inv in inventories), tuple(links), tuple(reports))


async def observe(
    ctl: ControlClient,
    app_name: str,
    hosts: list[Host] | None = None,
    *,
    reports: bool = False,
) -> LatticeView:
    """Inventories of ``hosts`` (pinged when None), the links, and with ``reports`` what providers say of links."""
    if hosts is None:
        hosts = await ctl.ping_hosts()
    replies = await asyncio.gather(*(ctl.get_inventory(h.id) for h in hosts), return_exceptions=True)
    inventories = [inv for inv in replies if isinstance(inv, HostInventory)]
    links = await ctl.get_links() if inventories else []
    found: list[ProviderReport] = []
    if reports and inventories:
        running = sum(len(inv.providers) for inv in inventories)
        found = await ctl.ping_providers(expect=running) if running else []
    return view_of(inventories, links, app_name, found)
