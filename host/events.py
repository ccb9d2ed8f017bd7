"""Lattice events (docs/protocol.md §6): pure builders returning CloudEvents 1.0 dicts, and one :func:`publish`.

Lifecycle events go to ``wasmbus.evt.{lattice}`` and ``wasmbus.evt.{lattice}.{name}``; invocation results to
``wasmbus.rpcevt.{lattice}``, one per invocation or summarised (:mod:`host.rpc_events`, ADR 0018). Publishing never
raises: an event that cannot be sent is logged.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any

from lattice import subjects
from lattice.claims import ActorClaims
from lattice.wire import LinkDefinition, WasmCloudEntity

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
LINKDEF_SOURCE = "n/a"  # OTP's source for linkdef events
_UUID_VARIANT = "89ab"

log = logging.getLogger(__name__)

Event = dict[str, Any]


def event_id() -> str:
    """A random UUIDv4 in its text form, formatted directly (``str(uuid.uuid4())`` costs twice as much per event)."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_UUID_VARIANT[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def cloud_event(name: str, source: str, data: Mapping[str, Any]) -> Event:
    """The CloudEvents 1.0 envelope of one lattice event."""
    return {
        "specversion": SPEC_VERSION,
        "type": subjects.event_type(name),
        "source": source,
        "id": event_id(),
        "time": datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "datacontenttype": CONTENT_TYPE,
        "data": dict(data),
    }


def event_name(event: Event) -> str:
    return str(event["type"]).removeprefix(subjects.EVENT_TYPE_PREFIX)


def human_duration(seconds: int) -> str:
    """``3d 4h 5m 6s`` (leading zero units left out)."""
    days, rest = divmod(max(0, int(seconds)), 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{v}{u}" for v, u in ((days, "d"), (hours, "h"), (minutes, "m")) if v]
    return " ".join([*parts, f"{secs}s"])


def _iso(ts: int | None, none: str) -> str:
    if ts is None:
        return none
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).isoformat().replace("+00:00", "Z")


def claims_summary(claims: ActorClaims) -> dict[str, Any]:
    meta = claims.metadata
    return {
        "call_alias": meta.call_alias or "",
        "caps": list(meta.capabilities),
        "issuer": claims.issuer,
        "tags": list(meta.tags or ()),
        "name": meta.name or "",
        "version": meta.ver or "",
        "revision": meta.rev or 0,
        "not_before_human": _iso(claims.not_before, "immediately"),
        "expires_human": _iso(claims.expires, "never"),
    }


# --- host -------------------------------------------------------------------------------------------------------------


def host_started(host_id: str, labels: Mapping[str, str], friendly_name: str, version: str) -> Event:
    data = {"labels": dict(labels), "friendly_name": friendly_name, "uptime_seconds": 0, "version": version}
    return cloud_event("host_started", host_id, data)


def host_stopped(host_id: str, labels: Mapping[str, str]) -> Event:
    return cloud_event("host_stopped", host_id, {"labels": dict(labels)})


def host_heartbeat(
    host_id: str,
    *,
    actors: Mapping[str, int],
    providers: Sequence[Mapping[str, str]],
    labels: Mapping[str, str],
    friendly_name: str,
    version: str,
    uptime_seconds: int,
) -> Event:
    data = {
        "actors": dict(actors),
        "providers": [dict(p) for p in providers],
        "labels": dict(labels),
        "friendly_name": friendly_name,
        "version": version,
        "uptime_seconds": uptime_seconds,
        "uptime_human": human_duration(uptime_seconds),
    }
    return cloud_event("host_heartbeat", host_id, data)


# --- actors -----------------------------------------------------------------------------------------------------------


def actor_started(
    host_id: str, claims: ActorClaims, image_ref: str, instance_id: str, annotations: Mapping[str, str]
) -> Event:
    data = {
        "public_key": claims.subject,
        "image_ref": image_ref,
        "api_version": 0,
        "instance_id": instance_id,
        "annotations": dict(annotations),
        "claims": claims_summary(claims),
    }
    return cloud_event("actor_started", host_id, data)


def actors_started(
    host_id: str, claims: ActorClaims, image_ref: str, annotations: Mapping[str, str], count: int
) -> Event:
    data = {
        "public_key": claims.subject,
        "image_ref": image_ref,
        "annotations": dict(annotations),
        "host_id": host_id,
        "claims": claims_summary(claims),
        "count": count,
    }
    return cloud_event("actors_started", host_id, data)


def actor_stopped(host_id: str, public_key: str, instance_id: str, annotations: Mapping[str, str]) -> Event:
    data = {"public_key": public_key, "instance_id": instance_id, "annotations": dict(annotations)}
    return cloud_event("actor_stopped", host_id, data)


def actors_stopped(host_id: str, public_key: str, count: int, remaining: int, annotations: Mapping[str, str]) -> Event:
    data = {
        "host_id": host_id,
        "public_key": public_key,
        "count": count,
        "remaining": remaining,
        "annotations": dict(annotations),
    }
    return cloud_event("actors_stopped", host_id, data)


def actor_start_failed(host_id: str, actor_ref: str, error: str) -> Event:
    return cloud_event("actor_start_failed", host_id, {"actor_ref": actor_ref, "error": error})


def actors_start_failed(
    host_id: str, public_key: str, image_ref: str, annotations: Mapping[str, str], error: str
) -> Event:
    data = {
        "public_key": public_key,
        "image_ref": image_ref,
        "annotations": dict(annotations),
        "host_id": host_id,
        "error": error,
    }
    return cloud_event("actors_start_failed", host_id, data)


def actor_updated(host_id: str, public_key: str, revision: int, instance_id: str) -> Event:
    data = {"public_key": public_key, "revision": revision, "instance_id": instance_id}
    return cloud_event("actor_updated", host_id, data)


def actor_update_failed(host_id: str, public_key: str, revision: int, instance_id: str, reason: str) -> Event:
    data = {"public_key": public_key, "revision": revision, "instance_id": instance_id, "reason": reason}
    return cloud_event("actor_update_failed", host_id, data)


# --- lattice state ----------------------------------------------------------------------------------------------------


def linkdef_set(link: LinkDefinition) -> Event:
    return cloud_event("linkdef_set", LINKDEF_SOURCE, link.to_wire())


def linkdef_deleted(link: LinkDefinition) -> Event:
    return cloud_event("linkdef_deleted", LINKDEF_SOURCE, link.to_wire())


def refmap_set(host_id: str, oci_url: str, public_key: str) -> Event:
    return cloud_event("refmap_set", host_id, {"oci_url": oci_url, "public_key": public_key})


# --- invocations ------------------------------------------------------------------------------------------------------


def invocation_result(
    host_id: str, *, succeeded: bool, source: WasmCloudEntity, dest: WasmCloudEntity, operation: str, size: int
) -> Event:
    name = "invocation_succeeded" if succeeded else "invocation_failed"
    data = {"source": source.to_wire(), "dest": dest.to_wire(), "operation": operation, "bytes": size}
    return cloud_event(name, host_id, data)


def invocation_counts(host_id: str, interval_ms: int, counts: Sequence[Mapping[str, Any]]) -> Event:
    """What this host served in the last interval: one row per source, destination and operation with how many
    invocations succeeded and failed and their bytes (wasmlattice's summarised form of the two events above)."""
    return cloud_event("invocation_counts", host_id, {"interval_ms": interval_ms, "counts": list(counts)})


def invocation_count(
    source: WasmCloudEntity, dest: WasmCloudEntity, operation: str, succeeded: int, failed: int, size: int
) -> dict[str, Any]:
    """One row of :func:`invocation_counts`."""
    return {
        "source": source.to_wire(),
        "dest": dest.to_wire(),
        "operation": operation,
        "succeeded": succeeded,
        "failed": failed,
        "bytes": size,
    }


# --- publishing -------------------------------------------------------------------------------------------------------


def encode(event: Event) -> bytes:
    return json.dumps(event, separators=(",", ":"), default=str).encode()


async def publish(nc: Any, lattice: str, event: Event) -> None:
    """Send a lifecycle event to ``wasmbus.evt.{lattice}`` and ``wasmbus.evt.{lattice}.{name}``; never raises."""
    body = encode(event)
    try:
        await nc.publish(subjects.events(lattice), body)
        await nc.publish(subjects.event(lattice, event_name(event)), body)
    except Exception as exc:
        log.warning("could not publish event %s: %s", event_name(event), exc)


async def publish_rpc(nc: Any, lattice: str, event: Event) -> None:
    """Send an invocation event to ``wasmbus.rpcevt.{lattice}``; never raises."""
    try:
        await nc.publish(subjects.rpc_events(lattice), encode(event))
    except Exception as exc:
        log.warning("could not publish event %s: %s", event_name(event), exc)


class EventPublisher:
    """Publishes one host's lifecycle events (on its control connection); never raises."""

    def __init__(self, nc: Any, lattice: str, host_id: str) -> None:
        self.nc = nc
        self.lattice = lattice
        self.host_id = host_id

    async def publish(self, event: Event) -> None:
        await publish(self.nc, self.lattice, event)

    async def publish_named(self, name: str, data: dict[str, Any]) -> None:
        """An event built elsewhere as ``name`` + ``data`` (the provider supervisor's), sent from this host."""
        await self.publish(cloud_event(name, self.host_id, data))
