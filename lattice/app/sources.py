"""Where each component of an application got its bytes, as the hosts running it report (``lattice app status``).

Hosts report provenance in their inventories (:mod:`lattice.oci.provenance`); this reads the inventories of the
hosts a status names and picks, per component, what each of them says about the copy it runs for the app.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from lattice.app.manifest import APP_ANNOTATION, Application, Component
from lattice.control import ControlClient
from lattice.control.replies import HostInventory
from lattice.oci.provenance import Provenance
from lattice.refs import canonical_ref


@dataclass(frozen=True)
class HostSource:
    host_id: str
    provenance: Provenance

    def to_json(self) -> dict[str, object]:
        p = self.provenance
        return {"host": self.host_id, "source": p.source.value, "digest": p.digest, "cached": p.cached}


def _reported(inv: HostInventory, app: Application, comp: Component) -> Provenance | None:
    image = canonical_ref(comp.image)
    if comp.is_actor:
        for actor in inv.actors:
            for instance in actor.instances:
                if canonical_ref(actor.image_ref) == image and instance.annotations.get(APP_ANNOTATION) == app.name:
                    return Provenance.from_annotations(instance.annotations)
        return None
    for provider in inv.providers:
        if canonical_ref(provider.image_ref) == image and provider.link_name == comp.link_name:
            return Provenance.from_annotations(provider.annotations)
    return None


async def component_sources(
    ctl: ControlClient, app: Application, host_ids: Iterable[str]
) -> dict[str, tuple[HostSource, ...]]:
    """Component name → what each of ``host_ids`` reports about its copy (hosts that do not answer are left out)."""
    ids = sorted(set(host_ids))
    answers = await asyncio.gather(*(ctl.get_inventory(h) for h in ids), return_exceptions=True)
    inventories = [a for a in answers if isinstance(a, HostInventory)]
    found: dict[str, tuple[HostSource, ...]] = {}
    for comp in app.components:
        sources = []
        for inv in inventories:
            provenance = _reported(inv, app, comp)
            if provenance is not None:
                sources.append(HostSource(inv.host_id, provenance))
        found[comp.name] = tuple(sources)
    return found


def describe(sources: Iterable[HostSource]) -> str:
    """One table cell: each distinct provenance once (``oci sha256:0123456789ab (cached)``), or ``-``."""
    seen = list(dict.fromkeys(s.provenance.describe() for s in sources))
    return ", ".join(seen) or "-"
