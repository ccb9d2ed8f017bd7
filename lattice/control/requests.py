"""Lattice-wide control requests and the standard ack: auctions, link put/del, registry credentials.

Payloads of docs/protocol.md §5.2.

Exact JSON field names of the OTP host and the ctl client; decoding tolerates absent optional and unknown fields,
and a field of the wrong type is a :class:`~lattice.control.errors.PayloadError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self

from lattice.control.base import JsonPayload
from lattice.control.errors import PayloadError
from lattice.control.fields import JsonObject, as_object, optional_str, required_bool, required_str, str_map
from lattice.wire import DEFAULT_LINK_NAME, LinkDefinition, MessageMalformed


@dataclass(frozen=True)
class Ack(JsonPayload):
    """The standard reply to a command: ``{"accepted": bool, "error": str}``."""

    WHAT = "ack"
    accepted: bool
    error: str = ""

    @classmethod
    def ok(cls) -> Ack:
        return cls(True, "")

    @classmethod
    def failure(cls, error: str) -> Ack:
        return cls(False, error)

    def to_json(self) -> JsonObject:
        return {"accepted": self.accepted, "error": self.error}

    @classmethod
    def from_json(cls, body: Any) -> Self:
        body = as_object(body, cls.WHAT)
        return cls(required_bool(body, "accepted", cls.WHAT), optional_str(body, "error", cls.WHAT))


@dataclass(frozen=True)
class ActorAuctionRequest(JsonPayload):
    WHAT = "actor auction request"
    actor_ref: str
    constraints: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        return {"actor_ref": self.actor_ref, "constraints": dict(self.constraints)}

    @classmethod
    def from_json(cls, body: Any) -> Self:
        body, w = as_object(body, cls.WHAT), cls.WHAT
        return cls(required_str(body, "actor_ref", w), str_map(body, "constraints", w))


@dataclass(frozen=True)
class ActorAuctionAck(JsonPayload):
    WHAT = "actor auction ack"
    actor_ref: str
    host_id: str
    constraints: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        return {"actor_ref": self.actor_ref, "constraints": dict(self.constraints), "host_id": self.host_id}

    @classmethod
    def from_json(cls, body: Any) -> Self:
        body, w = as_object(body, cls.WHAT), cls.WHAT
        return cls(
            optional_str(body, "actor_ref", w), required_str(body, "host_id", w), str_map(body, "constraints", w)
        )


@dataclass(frozen=True)
class ProviderAuctionRequest(JsonPayload):
    WHAT = "provider auction request"
    provider_ref: str
    link_name: str = DEFAULT_LINK_NAME
    constraints: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        return {"provider_ref": self.provider_ref, "link_name": self.link_name, "constraints": dict(self.constraints)}

    @classmethod
    def from_json(cls, body: Any) -> Self:
        body, w = as_object(body, cls.WHAT), cls.WHAT
        return cls(
            required_str(body, "provider_ref", w),
            optional_str(body, "link_name", w) or DEFAULT_LINK_NAME,
            str_map(body, "constraints", w),
        )


@dataclass(frozen=True)
class ProviderAuctionAck(JsonPayload):
    WHAT = "provider auction ack"
    provider_ref: str
    link_name: str
    host_id: str
    constraints: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        return {
            "provider_ref": self.provider_ref,
            "link_name": self.link_name,
            "constraints": dict(self.constraints),
            "host_id": self.host_id,
        }

    @classmethod
    def from_json(cls, body: Any) -> Self:
        body, w = as_object(body, cls.WHAT), cls.WHAT
        return cls(
            optional_str(body, "provider_ref", w),
            optional_str(body, "link_name", w) or DEFAULT_LINK_NAME,
            required_str(body, "host_id", w),
            str_map(body, "constraints", w),
        )


@dataclass(frozen=True)
class LinkDeleteRequest(JsonPayload):
    """``linkdefs.del``: the identity of a link."""

    WHAT = "link delete request"
    actor_id: str
    contract_id: str
    link_name: str = DEFAULT_LINK_NAME

    def to_json(self) -> JsonObject:
        return {"actor_id": self.actor_id, "contract_id": self.contract_id, "link_name": self.link_name}

    @classmethod
    def from_json(cls, body: Any) -> Self:
        body, w = as_object(body, cls.WHAT), cls.WHAT
        return cls(
            required_str(body, "actor_id", w),
            required_str(body, "contract_id", w),
            optional_str(body, "link_name", w) or DEFAULT_LINK_NAME,
        )


def link_from_json(body: Any) -> LinkDefinition:
    """``linkdefs.put`` (and each entry of ``get.links``): a :class:`LinkDefinition`, or :class:`PayloadError`."""
    try:
        return LinkDefinition.from_wire(as_object(body, "link definition"))
    except MessageMalformed as exc:
        raise PayloadError(str(exc)) from exc


REGISTRY_TYPES = ("oci", "bindle")


@dataclass(frozen=True)
class RegistryCredential(JsonPayload):
    """One registry's credentials in ``registries.put`` (``registryType`` is camelCase on the wire)."""

    WHAT = "registry credential"
    registry_type: str = "oci"
    username: str | None = field(default=None)
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)

    def to_json(self) -> JsonObject:
        out: JsonObject = {"registryType": self.registry_type}
        for key in ("username", "password", "token"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out

    @classmethod
    def from_json(cls, body: Any) -> Self:
        body, w = as_object(body, cls.WHAT), cls.WHAT
        kind = optional_str(body, "registryType", w) or "oci"
        if kind not in REGISTRY_TYPES:
            raise PayloadError(f"{w}.registryType must be one of {', '.join(REGISTRY_TYPES)}, got {kind!r}")
        secrets = {k: optional_str(body, k, w) or None for k in ("username", "password", "token")}
        return cls(kind, **secrets)


@dataclass(frozen=True)
class RegistriesPutRequest(JsonPayload):
    """``registries.put``: registry server (``host[:port]``) → credentials."""

    WHAT = "registries put request"
    credentials: Mapping[str, RegistryCredential]

    def to_json(self) -> JsonObject:
        return {server: cred.to_json() for server, cred in self.credentials.items()}

    @classmethod
    def from_json(cls, body: Any) -> Self:
        body = as_object(body, cls.WHAT)
        return cls({server: RegistryCredential.from_json(cred) for server, cred in body.items()})
