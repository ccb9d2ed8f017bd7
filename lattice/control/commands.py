"""Host-targeted control commands: ``cmd.{host}.la|sa|scale|upd|lp|sp|stop``, ``labels.{host}.put|del``.

Payloads of docs/protocol.md §5.2.

Exact JSON field names of the OTP host and the ctl client. Decoding tolerates absent optional fields, unknown
fields, OTP 0.50's ``replicas`` string for scale and ctl client 0.30+'s scale without ``actor_id``; a field of the
wrong type is a :class:`~lattice.control.errors.PayloadError`.
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
    dumps,
    int_or,
    optional_int,
    optional_str,
    required_str,
    str_map,
)
from lattice.wire import DEFAULT_LINK_NAME

DEFAULT_LAUNCH_COUNT = 1
STOP_ALL = 0


@dataclass(frozen=True)
class LaunchActorCommand(JsonPayload):
    """``cmd.{host}.la``: start ``count`` instances of ``actor_ref``."""

    WHAT = "launch actor command"
    actor_ref: str
    count: int = DEFAULT_LAUNCH_COUNT
    annotations: Mapping[str, str] = field(default_factory=dict)
    host_id: str = ""

    def to_json(self) -> JsonObject:
        return {
            "actor_ref": self.actor_ref,
            "count": self.count,
            "annotations": dict(self.annotations),
            "host_id": self.host_id,
        }

    @classmethod
    def from_json(cls, body: Any) -> Self:
        body, w = as_object(body, cls.WHAT), cls.WHAT
        count = int_or(body, "count", w, DEFAULT_LAUNCH_COUNT)
        if count < 1:
            raise PayloadError(f"{w}.count must be at least 1 (use stop actor to remove instances)")
        return cls(
            required_str(body, "actor_ref", w), count, str_map(body, "annotations", w), optional_str(body, "host_id", w)
        )


@dataclass(frozen=True)
class StopActorCommand(JsonPayload):
    """``cmd.{host}.sa``: stop ``count`` instances (0 = all) whose annotations include ``annotations``."""

    WHAT = "stop actor command"
    actor_ref: str  # the actor's public key
    count: int = STOP_ALL
    annotations: Mapping[str, str] = field(default_factory=dict)
    host_id: str = ""

    def to_json(self) -> JsonObject:
        return {
            "actor_ref": self.actor_ref,
            "count": self.count,
            "annotations": dict(self.annotations),
            "host_id": self.host_id,
        }

    @classmethod
    def from_json(cls, body: Any) -> Self:
        body, w = as_object(body, cls.WHAT), cls.WHAT
        return cls(
            required_str(body, "actor_ref", w),
            int_or(body, "count", w, STOP_ALL),
            str_map(body, "annotations", w),
            optional_str(body, "host_id", w),
        )


@dataclass(frozen=True)
class ScaleActorCommand(JsonPayload):
    """``cmd.{host}.scale``. ``actor_id`` is empty in ctl client 0.30+ requests; ``count`` None means "not given"."""

    WHAT = "scale actor command"
    actor_ref: str
    count: int | None
    actor_id: str = ""
    annotations: Mapping[str, str] = field(default_factory=dict)
    host_id: str = ""

    def to_json(self) -> JsonObject:
        out: JsonObject = {"actor_ref": self.actor_ref, "annotations": dict(self.annotations), "host_id": self.host_id}
        if self.actor_id:
            out["actor_id"] = self.actor_id
        if self.count is not None:
            out["count"] = self.count
        return out

    @classmethod
    def from_json(cls, body: Any) -> Self:
        body, w = as_object(body, cls.WHAT), cls.WHAT
        count = optional_int(body, "count", w)
        if count is None:
            count = optional_int(body, "replicas", w, numeric_str=True)
        actor_ref, actor_id = optional_str(body, "actor_ref", w), optional_str(body, "actor_id", w)
        if not actor_ref and not actor_id:
            raise PayloadError(f"{w} needs 'actor_ref' (or at least 'actor_id')")
        return cls(actor_ref, count, actor_id, str_map(body, "annotations", w), optional_str(body, "host_id", w))


@dataclass(frozen=True)
class UpdateActorCommand(JsonPayload):
    """``cmd.{host}.upd``: swap a running actor's module for ``new_actor_ref`` (same key, higher rev)."""

    WHAT = "update actor command"
    actor_id: str
    new_actor_ref: str
    annotations: Mapping[str, str] = field(default_factory=dict)
    host_id: str = ""

    def to_json(self) -> JsonObject:
        return {
            "actor_id": self.actor_id,
            "new_actor_ref": self.new_actor_ref,
            "annotations": dict(self.annotations),
            "host_id": self.host_id,
        }

    @classmethod
    def from_json(cls, body: Any) -> Self:
        body, w = as_object(body, cls.WHAT), cls.WHAT
        return cls(
            required_str(body, "actor_id", w),
            required_str(body, "new_actor_ref", w),
            str_map(body, "annotations", w),
            optional_str(body, "host_id", w),
        )


@dataclass(frozen=True)
class LaunchProviderCommand(JsonPayload):
    """``cmd.{host}.lp``. ``configuration`` is an opaque string handed to the provider as ``config_json``."""

    WHAT = "launch provider command"
    provider_ref: str
    link_name: str = DEFAULT_LINK_NAME
    configuration: str | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)
    host_id: str = ""

    def to_json(self) -> JsonObject:
        out: JsonObject = {
            "provider_ref": self.provider_ref,
            "link_name": self.link_name,
            "annotations": dict(self.annotations),
            "host_id": self.host_id,
        }
        if self.configuration is not None:
            out["configuration"] = self.configuration
        return out

    @classmethod
    def from_json(cls, body: Any) -> Self:
        body, w = as_object(body, cls.WHAT), cls.WHAT
        config = body.get("configuration")
        if isinstance(config, dict):  # a JSON object where a string is expected: keep its text
            config = dumps(config).decode()
        elif config is not None and not isinstance(config, str):
            raise PayloadError(f"{w}.configuration must be a string (or a JSON object)")
        return cls(
            required_str(body, "provider_ref", w),
            optional_str(body, "link_name", w) or DEFAULT_LINK_NAME,
            config,
            str_map(body, "annotations", w),
            optional_str(body, "host_id", w),
        )


@dataclass(frozen=True)
class StopProviderCommand(JsonPayload):
    """``cmd.{host}.sp``; ``provider_ref`` is the provider's public key."""

    WHAT = "stop provider command"
    provider_ref: str
    link_name: str = DEFAULT_LINK_NAME
    contract_id: str = ""
    annotations: Mapping[str, str] = field(default_factory=dict)
    host_id: str = ""

    def to_json(self) -> JsonObject:
        return {
            "provider_ref": self.provider_ref,
            "link_name": self.link_name,
            "contract_id": self.contract_id,
            "annotations": dict(self.annotations),
            "host_id": self.host_id,
        }

    @classmethod
    def from_json(cls, body: Any) -> Self:
        body, w = as_object(body, cls.WHAT), cls.WHAT
        return cls(
            required_str(body, "provider_ref", w),
            optional_str(body, "link_name", w) or DEFAULT_LINK_NAME,
            optional_str(body, "contract_id", w),
            str_map(body, "annotations", w),
            optional_str(body, "host_id", w),
        )


@dataclass(frozen=True)
class StopHostCommand(JsonPayload):
    WHAT = "stop host command"
    host_id: str = ""
    timeout: int | None = None  # milliseconds

    def to_json(self) -> JsonObject:
        out: JsonObject = {"host_id": self.host_id}
        if self.timeout is not None:
            out["timeout"] = self.timeout
        return out

    @classmethod
    def from_json(cls, body: Any) -> Self:
        body, w = as_object(body, cls.WHAT), cls.WHAT
        return cls(optional_str(body, "host_id", w), optional_int(body, "timeout", w))


@dataclass(frozen=True)
class LabelPutRequest(JsonPayload):
    WHAT = "label put request"
    key: str
    value: str

    def to_json(self) -> JsonObject:
        return {"key": self.key, "value": self.value}

    @classmethod
    def from_json(cls, body: Any) -> Self:
        body, w = as_object(body, cls.WHAT), cls.WHAT
        if not isinstance(body.get("value"), str):
            raise PayloadError(f"{w} needs a string field 'value'")
        return cls(required_str(body, "key", w), body["value"])


@dataclass(frozen=True)
class LabelDeleteRequest(JsonPayload):
    WHAT = "label delete request"
    key: str

    def to_json(self) -> JsonObject:
        return {"key": self.key}

    @classmethod
    def from_json(cls, body: Any) -> Self:
        return cls(required_str(as_object(body, cls.WHAT), "key", cls.WHAT))
