"""Lattice-wide control requests and the standard ack: auctions, link put/del, registry credentials.

Payloads of docs/protocol.md §5.2.

Exact JSON field names of the OTP host and the ctl client; decoding tolerates absent optional and unknown fields,
and a field of the wrong type is a :class:`~lattice.control.errors.PayloadError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, Self

import msgspec

from lattice.codec import DEFAULT_MAX_MESSAGE_BYTES, JSON, NonEmpty, Omit, Required, ValueCodec, empty_means
from lattice.codec.formats import Raw
from lattice.control.base import JsonObject, JsonPayload
from lattice.control.errors import PayloadError
from lattice.wire import LinkDefinition, MessageMalformed
from lattice.wire.linkdef import DEFAULT_LINK_NAME, LinkName


class Ack(JsonPayload, frozen=True):
    """The standard reply to a command: ``{"accepted": bool, "error": str}``."""

    WHAT = "ack"
    accepted: Required[bool]
    error: str = ""

    @classmethod
    def ok(cls) -> Ack:
        return cls(True, "")

    @classmethod
    def failure(cls, error: str) -> Ack:
        return cls(False, error)


class ActorAuctionRequest(JsonPayload, frozen=True):
    WHAT = "actor auction request"
    actor_ref: NonEmpty
    constraints: Mapping[str, str] = {}


class ActorAuctionAck(JsonPayload, frozen=True):
    WHAT = "actor auction ack"
    WIRE_ORDER = ("actor_ref", "constraints", "host_id")
    actor_ref: str
    host_id: NonEmpty
    constraints: Mapping[str, str] = {}


class ProviderAuctionRequest(JsonPayload, frozen=True):
    WHAT = "provider auction request"
    provider_ref: NonEmpty
    link_name: LinkName = DEFAULT_LINK_NAME
    constraints: Mapping[str, str] = {}


class ProviderAuctionAck(JsonPayload, frozen=True):
    WHAT = "provider auction ack"
    WIRE_ORDER = ("provider_ref", "link_name", "constraints", "host_id")
    provider_ref: str
    link_name: LinkName
    host_id: NonEmpty
    constraints: Mapping[str, str] = {}


class LinkDeleteRequest(JsonPayload, frozen=True):
    """``linkdefs.del``: the identity of a link."""

    WHAT = "link delete request"
    actor_id: NonEmpty
    contract_id: NonEmpty
    link_name: LinkName = DEFAULT_LINK_NAME


def link_from_json(body: Any) -> LinkDefinition:
    """``linkdefs.put`` (and each entry of ``get.links``): a :class:`LinkDefinition`, or :class:`PayloadError`."""
    try:
        return LinkDefinition.from_wire(body)
    except MessageMalformed as exc:
        raise PayloadError(str(exc)) from exc


REGISTRY_TYPES = ("oci", "bindle")
Secret = Annotated[str | None, empty_means(None)]


class RegistryCredential(JsonPayload, frozen=True):
    """One registry's credentials in ``registries.put`` (``registryType`` is camelCase on the wire)."""

    WHAT = "registry credential"
    registry_type: Annotated[Literal["oci", "bindle"], empty_means("oci")] = msgspec.field(
        default="oci", name="registryType"
    )
    username: Omit[Secret] = None
    password: Omit[Secret] = None
    token: Omit[Secret] = None

    def __repr__(self) -> str:
        return f"RegistryCredential(registry_type={self.registry_type!r}, username={self.username!r})"


class RegistriesPutRequest(JsonPayload, frozen=True):
    """``registries.put``: registry server (``host[:port]``) → credentials; the map is the whole body."""

    WHAT = "registries put request"
    credentials: Mapping[str, RegistryCredential]

    def to_wire(self) -> JsonObject:
        return {server: cred.to_wire() for server, cred in self.credentials.items()}

    def encode(self) -> bytes:
        return _CREDENTIALS.encode(self.credentials)

    @classmethod
    def from_wire(cls, body: Any, what: str | None = None) -> Self:
        return cls(_CREDENTIALS.from_value(body))

    @classmethod
    def decode(cls, data: Raw, *, max_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> Self:
        return cls(_CREDENTIALS.decode(data, max_bytes=max_bytes))


_CREDENTIALS = ValueCodec(dict[str, RegistryCredential], RegistriesPutRequest.WHAT, JSON, PayloadError)
