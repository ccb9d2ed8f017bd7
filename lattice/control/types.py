"""Every control-interface payload (docs/protocol.md §5.2) in one import, shared by the client and the host's server.

Requests and acks live in :mod:`lattice.control.requests` (lattice-wide) and :mod:`lattice.control.commands`
(host-targeted), replies to queries in :mod:`lattice.control.replies`. Each is a frozen dataclass with
``to_json()``/``from_json()`` (and ``encode()``/``decode()`` for bytes) using the exact wire field names, so the two
sides cannot spell a field apart.
"""

from __future__ import annotations

from lattice.control.base import JsonPayload
from lattice.control.commands import (
    DEFAULT_LAUNCH_COUNT,
    STOP_ALL,
    LabelDeleteRequest,
    LabelPutRequest,
    LaunchActorCommand,
    LaunchProviderCommand,
    ScaleActorCommand,
    StopActorCommand,
    StopHostCommand,
    StopProviderCommand,
    UpdateActorCommand,
)
from lattice.control.replies import (
    ActorDescription,
    ActorInstance,
    ClaimsReply,
    Host,
    HostInventory,
    LinksReply,
    ProviderDescription,
)
from lattice.control.requests import (
    Ack,
    ActorAuctionAck,
    ActorAuctionRequest,
    LinkDeleteRequest,
    ProviderAuctionAck,
    ProviderAuctionRequest,
    RegistriesPutRequest,
    RegistryCredential,
    link_from_json,
)
from lattice.wire import LinkDefinition

__all__ = [
    "DEFAULT_LAUNCH_COUNT",
    "STOP_ALL",
    "Ack",
    "ActorAuctionAck",
    "ActorAuctionRequest",
    "ActorDescription",
    "ActorInstance",
    "ClaimsReply",
    "Host",
    "HostInventory",
    "JsonPayload",
    "LabelDeleteRequest",
    "LabelPutRequest",
    "LaunchActorCommand",
    "LaunchProviderCommand",
    "LinkDefinition",
    "LinkDeleteRequest",
    "LinksReply",
    "ProviderAuctionAck",
    "ProviderAuctionRequest",
    "ProviderDescription",
    "RegistriesPutRequest",
    "RegistryCredential",
    "ScaleActorCommand",
    "StopActorCommand",
    "StopHostCommand",
    "StopProviderCommand",
    "UpdateActorCommand",
    "link_from_json",
]
