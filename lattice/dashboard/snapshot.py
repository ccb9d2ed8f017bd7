"""One JSON picture of the lattice for the page: hosts, actors with instances per host, providers, links, claims
and apps with their status. Each part that cannot be fetched is reported in ``errors`` and the rest still shown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from lattice.app import reconcile
from lattice.app.errors import AppError
from lattice.app.store import AppStore
from lattice.control import ControlClient
from lattice.control.replies import Host, HostInventory
from lattice.errors import LatticeError
from lattice.wire import LinkDefinition

log = logging.getLogger(__name__)

Json = dict[str, Any]


def _host(host: Host, inventory: HostInventory | None) -> Json:
    return {
        "id": host.id,
        "name": host.friendly_name,
        "labels": dict(host.labels),
        "uptime_seconds": host.uptime_seconds,
        "uptime": host.uptime_human,
        "version": host.version,
        "actors": sum(len(a.instances) for a in inventory.actors) if inventory else None,
        "providers": len(inventory.providers) if inventory else None,
    }


def _actors(inventories: Sequence[HostInventory], names: Mapping[str, str]) -> list[Json]:
    found: dict[str, Json] = {}
    for inv in inventories:
        for actor in inv.actors:
            entry = found.setdefault(
                actor.id,
                {"id": actor.id, "name": names.get(actor.id) or actor.name, "image_ref": actor.image_ref, "hosts": []},
            )
            entry["hosts"].append(
                {"host_id": inv.host_id, "host_name": inv.friendly_name, "count": len(actor.instances)}
            )
    for entry in found.values():
        entry["total"] = sum(h["count"] for h in entry["hosts"])
    return sorted(found.values(), key=lambda a: (a["name"], a["id"]))


def _providers(inventories: Sequence[HostInventory], names: Mapping[str, str]) -> list[Json]:
    return [
        {
            "id": p.id,
            "name": names.get(p.id) or p.name,
            "contract_id": p.contract_id,
            "link_name": p.link_name,
            "image_ref": p.image_ref,
            "host_id": inv.host_id,
            "host_name": inv.friendly_name,
        }
        for inv in inventories
        for p in inv.providers
    ]


async def _apps(
    ctl: ControlClient, inventories: Sequence[HostInventory], links: Sequence[LinkDefinition]
) -> list[Json]:
    out: list[Json] = []
    for stored in await AppStore(ctl.nc, ctl.lattice).list():
        try:
            app = reconcile.application(stored)
        except AppError as exc:
            out.append({"name": stored.name, "version": "", "status": "invalid", "error": str(exc), "components": []})
            continue
        state = reconcile.status(app, reconcile.view_of(inventories, links, app.name))
        components = [
            {"name": c.name, "type": c.type, "wanted": c.wanted, "running": c.running} for c in state.components
        ]
        status = "ready" if state.ready else "reconciling"
        links_state = {"wanted": state.links_wanted, "present": state.links_present}
        out.append(
            {"name": app.name, "version": app.version, "status": status, "components": components, "links": links_state}
        )
    return out


async def _guarded(what: str, errors: list[str], work: Any, default: Any) -> Any:
    try:
        return await work
    except LatticeError as exc:
        errors.append(f"{what}: {exc}")
    except Exception as exc:  # e.g. JetStream unavailable for the app store: show the rest of the lattice
        log.warning("dashboard: %s could not be fetched: %s", what, exc)
        errors.append(f"{what}: {type(exc).__name__}: {exc}")
    return default


async def snapshot(ctl: ControlClient) -> Json:
    """The whole picture; a host that does not answer its inventory request is listed with the error."""
    errors: list[str] = []
    hosts = await _guarded("hosts", errors, ctl.ping_hosts(), [])
    replies = await asyncio.gather(*(ctl.get_inventory(h.id) for h in hosts), return_exceptions=True)
    inventories: list[HostInventory] = []
    for host, reply in zip(hosts, replies, strict=True):
        if isinstance(reply, HostInventory):
            inventories.append(reply)
        else:
            errors.append(f"inventory of {host.friendly_name or host.id}: {reply}")
    by_host = {inv.host_id: inv for inv in inventories}
    links: list[LinkDefinition] = await _guarded("links", errors, ctl.get_links(), []) if hosts else []
    claims: list[Mapping[str, str]] = await _guarded("claims", errors, ctl.get_claims(), []) if hosts else []
    names = {c.get("sub", ""): c.get("name", "") for c in claims}
    apps = await _guarded("apps", errors, _apps(ctl, inventories, links), [])
    return {
        "lattice": ctl.lattice,
        "nats": ctl.url,
        "hosts": [_host(h, by_host.get(h.id)) for h in hosts],
        "actors": _actors(inventories, names),
        "providers": _providers(inventories, names),
        "links": [link.to_wire() for link in links],
        "claims": [dict(c) for c in claims],
        "apps": apps,
        "errors": errors,
    }
