"""Replies to control queries: ``ping.hosts`` (Host), ``get.{host}.inv`` (HostInventory), claims, links.

Payloads of docs/protocol.md §5.2.

Exact JSON field names of OTP 0.60+ and the ctl client; unknown fields are ignored, absent ones defaulted (OTP 0.50
answered a ping with only ``id`` and ``uptime_seconds``), a wrong type is a
:class:`~lattice.control.errors.PayloadError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self

from lattice.control.base import JsonPayload
from lattice.control.errors import PayloadError
from lattice.control.fields import (
    JsonObject,
    as_object,
    int_or,
    nullable_str,
    object_list,
    optional_int,
    optional_str,
    required_str,
    str_map,
)
from lattice.control.requests import link_from_json
from lattice.wire import LinkDefinition


def _issuers(body: Mapping[str, Any], what: str) -> tuple[str, ...]:
    """``cluster_issuers``: a comma-joined string on the wire (a list is accepted too)."""
    value = body.get("cluster_issuers")
    if value is None:
        return ()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(v for v in value if v)
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    raise PayloadError(f"{what}.cluster_issuers must be a comma-separated string")


@dataclass(frozen=True)
class Host(JsonPayload):
    """One host's reply to ``ping.hosts``."""

    WHAT = "host ping reply"
    id: str
    issuer: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    friendly_name: str = ""
    uptime_seconds: int = 0
    uptime_human: str = ""
    version: str = ""
    cluster_issuers: tuple[str, ...] = ()
    js_domain: str | None = None
    ctl_host: str = ""
    prov_rpc_host: str = ""
    rpc_host: str = ""
    lattice_prefix: str = ""

    def to_json(self) -> JsonObject:
        return {
            "id": self.id,
            "issuer": self.issuer,
            "labels": dict(self.labels),
            "friendly_name": self.friendly_name,
            "uptime_seconds": self.uptime_seconds,
            "uptime_human": self.uptime_human,
            "version": self.version,
            "cluster_issuers": ",".join(self.cluster_issuers),
            "js_domain": self.js_domain,
            "ctl_host": self.ctl_host,
            "prov_rpc_host": self.prov_rpc_host,
            "rpc_host": self.rpc_host,
            "lattice_prefix": self.lattice_prefix,
        }

    @classmethod
    def from_json(cls, body: Any) -> Self:
        body, w = as_object(body, cls.WHAT), cls.WHAT
        text = {k: optional_str(body, k, w) for k in _HOST_TEXT}
        return cls(
            id=required_str(body, "id", w),
            labels=str_map(body, "labels", w),
            uptime_seconds=int_or(body, "uptime_seconds", w, 0),
            cluster_issuers=_issuers(body, w),
            js_domain=nullable_str(body, "js_domain", w),
            **text,
        )


_HOST_TEXT = (
    "issuer",
    "friendly_name",
    "uptime_human",
    "version",
    "ctl_host",
    "prov_rpc_host",
    "rpc_host",
    "lattice_prefix",
)


@dataclass(frozen=True)
class ActorInstance(JsonPayload):
    WHAT = "actor instance"
    instance_id: str
    revision: int = 0
    annotations: Mapping[str, str] = field(default_factory=dict)
    image_ref: str = ""  # only the Rust host sends it
    max_concurrent: int | None = None  # only the Rust host sends it

    def to_json(self) -> JsonObject:
        out: JsonObject = {
            "annotations": dict(self.annotations),
            "instance_id": self.instance_id,
            "revision": self.revision,
        }
        if self.image_ref:
            out["image_ref"] = self.image_ref
        if self.max_concurrent is not None:
            out["max_concurrent"] = self.max_concurrent
        return out

    @classmethod
    def from_json(cls, body: Any) -> Self:
        body, w = as_object(body, cls.WHAT), cls.WHAT
        return cls(
            optional_str(body, "instance_id", w),
            optional_int(body, "revision", w, numeric_str=True) or 0,
            str_map(body, "annotations", w),
            optional_str(body, "image_ref", w),
            optional_int(body, "max_concurrent", w),
        )


@dataclass(frozen=True)
class ActorDescription(JsonPayload):
    WHAT = "actor description"
    id: str
    image_ref: str = ""
    name: str = ""
    instances: tuple[ActorInstance, ...] = ()

    def to_json(self) -> JsonObject:
        return {
            "id": self.id,
            "image_ref": self.image_ref,
            "name": self.name,
            "instances": [i.to_json() for i in self.instances],
        }

    @classmethod
    def from_json(cls, body: Any) -> Self:
        body, w = as_object(body, cls.WHAT), cls.WHAT
        instances = tuple(ActorInstance.from_json(i) for i in object_list(body, "instances", w))
        return cls(
            required_str(body, "id", w), optional_str(body, "image_ref", w), optional_str(body, "name", w), instances
        )


@dataclass(frozen=True)
class ProviderDescription(JsonPayload):
    WHAT = "provider description"
    id: str
    link_name: str
    contract_id: str = ""
    image_ref: str = ""
    name: str = ""
    instance_id: str = ""
    revision: int = 0
    annotations: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        return {
            "id": self.id,
            "image_ref": self.image_ref,
            "contract_id": self.contract_id,
            "link_name": self.link_name,
            "name": self.name,
            "instance_id": self.instance_id,
            "annotations": dict(self.annotations),
            "revision": self.revision,
        }

    @classmethod
    def from_json(cls, body: Any) -> Self:
        body, w = as_object(body, cls.WHAT), cls.WHAT
        return cls(
            id=required_str(body, "id", w),
            link_name=optional_str(body, "link_name", w),
            contract_id=optional_str(body, "contract_id", w),
            image_ref=optional_str(body, "image_ref", w),
            name=optional_str(body, "name", w),
            instance_id=optional_str(body, "instance_id", w),
            revision=optional_int(body, "revision", w, numeric_str=True) or 0,
            annotations=str_map(body, "annotations", w),
        )


@dataclass(frozen=True)
class HostInventory(JsonPayload):
    """The reply to ``get.{host}.inv``."""

    WHAT = "host inventory"
    host_id: str
    issuer: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    friendly_name: str = ""
    actors: tuple[ActorDescription, ...] = ()
    providers: tuple[ProviderDescription, ...] = ()

    def to_json(self) -> JsonObject:
        return {
            "host_id": self.host_id,
            "issuer": self.issuer,
            "labels": dict(self.labels),
            "friendly_name": self.friendly_name,
            "actors": [a.to_json() for a in self.actors],
            "providers": [p.to_json() for p in self.providers],
        }

    @classmethod
    def from_json(cls, body: Any) -> Self:
        body, w = as_object(body, cls.WHAT), cls.WHAT
        return cls(
            host_id=required_str(body, "host_id", w),
            issuer=optional_str(body, "issuer", w),
            labels=str_map(body, "labels", w),
            friendly_name=optional_str(body, "friendly_name", w),
            actors=tuple(ActorDescription.from_json(a) for a in object_list(body, "actors", w)),
            providers=tuple(ProviderDescription.from_json(p) for p in object_list(body, "providers", w)),
        )


@dataclass(frozen=True)
class ClaimsReply(JsonPayload):
    """``{"claims": [ {flat string map}, … ]}`` — each entry as stored under ``CLAIMS_*`` (docs/protocol.md §7.2)."""

    WHAT = "claims reply"
    claims: tuple[Mapping[str, str], ...] = ()

    def to_json(self) -> JsonObject:
        return {"claims": [dict(c) for c in self.claims]}

    @classmethod
    def from_json(cls, body: Any) -> Self:
        body, w = as_object(body, cls.WHAT), cls.WHAT
        entries = object_list(body, "claims", w)
        return cls(tuple(str_map({"entry": e}, "entry", f"{w}.claims[{n}]") for n, e in enumerate(entries)))


@dataclass(frozen=True)
class LinksReply(JsonPayload):
    """``{"links": [LinkDefinition, …]}``."""

    WHAT = "links reply"
    links: tuple[LinkDefinition, ...] = ()

    def to_json(self) -> JsonObject:
        return {"links": [link.to_wire() for link in self.links]}

    @classmethod
    def from_json(cls, body: Any) -> Self:
        body = as_object(body, cls.WHAT)
        return cls(tuple(link_from_json(e) for e in object_list(body, "links", cls.WHAT)))
