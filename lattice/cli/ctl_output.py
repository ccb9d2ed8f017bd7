"""How ``lattice ctl`` shows hosts, inventories, claims and links: aligned tables for people, JSON with ``--json``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lattice.cli import output
from lattice.control.events import LatticeEvent
from lattice.control.replies import Host, HostInventory
from lattice.provider.status import ProviderReport
from lattice.wire import LinkDefinition


def _pairs(values: Mapping[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(values.items())) or "-"


def hosts(found: Sequence[Host], as_json: bool) -> None:
    if as_json:
        output.emit_json([h.to_json() for h in found])
        return
    rows = [
        (h.id, h.friendly_name, h.uptime_human or f"{h.uptime_seconds}s", h.version, _pairs(h.labels)) for h in found
    ]
    output.table(["HOST ID", "NAME", "UPTIME", "VERSION", "LABELS"], rows)


def inventories(
    found: Sequence[HostInventory], as_json: bool, *, one: bool = False, manual: Sequence[ProviderReport] = ()
) -> None:
    """``one``: a single host was asked for, so ``--json`` prints one object instead of a list.

    ``manual``: providers run by hand (no host lists them), shown after the hosts; in JSON as one more
    inventory-shaped entry with ``"host_id": ""`` and ``"manual": true``.
    """
    if as_json:
        body: Any = found[0].to_json() if one else [inv.to_json() for inv in found]
        if manual and not one:
            body.append({"host_id": "", "manual": True, "actors": [], "providers": [_manual(r) for r in manual]})
        output.emit_json(body)
        return
    _inventory_tables(found)
    if manual:
        print()
        print("Providers run by hand (no host started them)")
        print()
        rows = [(r.provider_id, r.name, r.link_name, r.contract_id, len(r.links)) for r in manual]
        output.table(["PROVIDER ID", "NAME", "LINK NAME", "CONTRACT", "LINKS"], rows)


def _manual(report: ProviderReport) -> dict[str, Any]:
    return {
        "id": report.provider_id,
        "name": report.name,
        "link_name": report.link_name,
        "contract_id": report.contract_id,
        "instance_id": report.instance_id,
        "image_ref": "",
        "annotations": {},
        "links": [x.to_json() for x in report.links],
    }


def _inventory_tables(found: Sequence[HostInventory]) -> None:
    for n, inv in enumerate(found):
        if n:
            print()
        print(f"Host {inv.host_id} ({inv.friendly_name})")
        print(f"Labels: {_pairs(inv.labels)}")
        print()
        actor_rows = [(a.id, a.name, a.image_ref, len(a.instances)) for a in inv.actors]
        output.table(["ACTOR ID", "NAME", "IMAGE REF", "INSTANCES"], actor_rows)
        print()
        provider_rows = [(p.id, p.name, p.link_name, p.contract_id, p.image_ref) for p in inv.providers]
        output.table(["PROVIDER ID", "NAME", "LINK NAME", "CONTRACT", "IMAGE REF"], provider_rows)


def claims(found: Sequence[Mapping[str, str]], as_json: bool) -> None:
    if as_json:
        output.emit_json({"claims": [dict(c) for c in found]})
        return
    rows = [
        (c.get("name", ""), c.get("sub", ""), c.get("caps", "") or c.get("contract_id", "") or "-", _version(c))
        for c in found
    ]
    output.table(["NAME", "PUBLIC KEY", "CAPABILITIES / CONTRACT", "VERSION"], rows)


def _version(entry: Mapping[str, str]) -> str:
    version, rev = entry.get("version", ""), entry.get("rev", "")
    return f"{version or '-'} (rev {rev or '-'})"


def links(found: Sequence[LinkDefinition], as_json: bool) -> None:
    if as_json:
        output.emit_json([link.to_wire() for link in found])
        return
    rows = [(ld.actor_id, ld.provider_id, ld.contract_id, ld.link_name, _pairs(ld.values)) for ld in found]
    output.table(["ACTOR ID", "PROVIDER ID", "CONTRACT", "LINK NAME", "VALUES"], rows)


def accepted(message: str, as_json: bool, details: Mapping[str, Any], events: Sequence[LatticeEvent] = ()) -> None:
    """The result of a command: one line for people; ``{"accepted": true, …}`` plus any awaited events for scripts."""
    if as_json:
        body = {"accepted": True, **details}
        if events:
            body["events"] = [e.to_json() for e in events]
        output.emit_json(body)
    else:
        print(message)


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def event_line(event: LatticeEvent) -> str:
    """One readable line per event: time, name, source host, and the data fields that say what happened."""
    keys = (
        "public_key",
        "image_ref",
        "link_name",
        "contract_id",
        "actor_id",
        "provider_id",
        "count",
        "operation",
        "error",
        "reason",
    )
    shown = " ".join(f"{k}={event.data[k]}" for k in keys if event.data.get(k) not in (None, ""))
    if isinstance(dest := event.data.get("dest"), dict) and dest.get("public_key"):
        shown = f"dest={dest['public_key']} {shown}"
    if isinstance(counts := event.data.get("counts"), list):
        rows = [r for r in counts if isinstance(r, dict)]
        failed = sum(_count(r.get("failed")) for r in rows)
        calls = sum(_count(r.get("succeeded")) for r in rows) + failed
        shown = f"{calls} invocations ({failed} failed) in {len(rows)} rows {shown}"
    source = event.source[:12] + "…" if len(event.source) > 12 else event.source
    return f"{event.time or '-'}  {event.name:<22} {source:<13} {shown}".rstrip()
