"""Replies to control queries: ``ping.hosts`` (Host), ``get.{host}.inv`` (HostInventory), claims, links.

Payloads of docs/protocol.md §5.2.

Exact JSON field names of OTP 0.60+ and the ctl client; unknown fields are ignored, absent ones defaulted (OTP 0.50
answered a ping with only ``id`` and ``uptime_seconds``), a wrong type is a
:class:`~lattice.control.errors.PayloadError`.
"""

from __future__ import annotations

from collections.abc import Mapping

from lattice.codec import CommaJoined, NonEmpty, NumericText, Omit, UInt
from lattice.control.base import JsonPayload
from lattice.wire import LinkDefinition


class Host(JsonPayload, frozen=True):
    """One host's reply to ``ping.hosts``; ``cluster_issuers`` travels comma-joined (a list is accepted too)."""

    WHAT = "host ping reply"
    id: NonEmpty
    issuer: str = ""
    labels: Mapping[str, str] = {}
    friendly_name: str = ""
    uptime_seconds: UInt = 0
    uptime_human: str = ""
    version: str = ""
    cluster_issuers: CommaJoined[tuple[str, ...]] = ()
    js_domain: str | None = None
    ctl_host: str = ""
    prov_rpc_host: str = ""
    rpc_host: str = ""
    lattice_prefix: str = ""


class ActorInstance(JsonPayload, frozen=True):
    WHAT = "actor instance"
    WIRE_ORDER = ("annotations", "instance_id", "revision", "image_ref", "max_concurrent")
    instance_id: str
    revision: NumericText[UInt] = 0
    annotations: Mapping[str, str] = {}
    image_ref: Omit[str] = ""  # only the Rust host sends it
    max_concurrent: Omit[UInt | None] = None  # only the Rust host sends it


class ActorDescription(JsonPayload, frozen=True):
    WHAT = "actor description"
    id: NonEmpty
    image_ref: str = ""
    name: str = ""
    instances: tuple[ActorInstance, ...] = ()


class ProviderDescription(JsonPayload, frozen=True):
    WHAT = "provider description"
    WIRE_ORDER = ("id", "image_ref", "contract_id", "link_name", "name", "instance_id", "annotations", "revision")
    id: NonEmpty
    link_name: str
    contract_id: str = ""
    image_ref: str = ""
    name: str = ""
    instance_id: str = ""
    revision: NumericText[UInt] = 0
    annotations: Mapping[str, str] = {}


class HostInventory(JsonPayload, frozen=True):
    """The reply to ``get.{host}.inv``."""

    WHAT = "host inventory"
    host_id: NonEmpty
    issuer: str = ""
    labels: Mapping[str, str] = {}
    friendly_name: str = ""
    actors: tuple[ActorDescription, ...] = ()
    providers: tuple[ProviderDescription, ...] = ()


class ClaimsReply(JsonPayload, frozen=True):
    """``{"claims": [ {flat string map}, … ]}`` — each entry as stored under ``CLAIMS_*`` (docs/protocol.md §7.2)."""

    WHAT = "claims reply"
    claims: tuple[Mapping[str, str], ...] = ()


class LinksReply(JsonPayload, frozen=True):
    """``{"links": [LinkDefinition, …]}``."""

    WHAT = "links reply"
    links: tuple[LinkDefinition, ...] = ()
