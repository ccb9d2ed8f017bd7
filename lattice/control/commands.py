"""Host-targeted control commands: ``cmd.{host}.la|sa|scale|upd|lp|sp|stop``, ``labels.{host}.put|del``.

Payloads of docs/protocol.md §5.2.

Exact JSON field names of the OTP host and the ctl client. Decoding tolerates absent optional fields, unknown
fields, OTP 0.50's ``replicas`` string for scale and ctl client 0.30+'s scale without ``actor_id``; a field of the
wrong type is a :class:`~lattice.control.errors.PayloadError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from msgspec import Meta

from lattice.codec import JsonText, NonEmpty, NumericText, Omit, Required, UInt, also_read, hint
from lattice.control.base import JsonPayload
from lattice.wire.linkdef import DEFAULT_LINK_NAME, LinkName

DEFAULT_LAUNCH_COUNT = 1
STOP_ALL = 0


class LaunchActorCommand(JsonPayload, frozen=True):
    """``cmd.{host}.la``: start ``count`` instances of ``actor_ref``."""

    WHAT = "launch actor command"
    actor_ref: NonEmpty
    count: Annotated[int, Meta(ge=1), hint("use stop actor to remove instances")] = DEFAULT_LAUNCH_COUNT
    annotations: Mapping[str, str] = {}
    host_id: str = ""


class StopActorCommand(JsonPayload, frozen=True):
    """``cmd.{host}.sa``: stop ``count`` instances (0 = all) whose annotations include ``annotations``."""

    WHAT = "stop actor command"
    actor_ref: NonEmpty  # the actor's public key
    count: UInt = STOP_ALL
    annotations: Mapping[str, str] = {}
    host_id: str = ""


class ScaleActorCommand(JsonPayload, frozen=True):
    """``cmd.{host}.scale``. ``actor_id`` is empty in ctl client 0.30+ requests; ``count`` None means "not given"."""

    WHAT = "scale actor command"
    WIRE_ORDER = ("actor_ref", "annotations", "host_id", "actor_id", "count")
    actor_ref: str
    count: Omit[NumericText[Annotated[UInt | None, also_read("replicas")]]]
    actor_id: Omit[str] = ""
    annotations: Mapping[str, str] = {}
    host_id: str = ""

    def problem(self) -> str | None:
        return None if self.actor_ref or self.actor_id else "needs 'actor_ref' (or at least 'actor_id')"


class UpdateActorCommand(JsonPayload, frozen=True):
    """``cmd.{host}.upd``: swap a running actor's module for ``new_actor_ref`` (same key, higher rev)."""

    WHAT = "update actor command"
    actor_id: NonEmpty
    new_actor_ref: NonEmpty
    annotations: Mapping[str, str] = {}
    host_id: str = ""


class LaunchProviderCommand(JsonPayload, frozen=True):
    """``cmd.{host}.lp``. ``configuration`` is an opaque string handed to the provider as ``config_json`` (a JSON
    object sent in its place is kept as its text)."""

    WHAT = "launch provider command"
    WIRE_ORDER = ("provider_ref", "link_name", "annotations", "host_id", "configuration")
    provider_ref: NonEmpty
    link_name: LinkName = DEFAULT_LINK_NAME
    configuration: Omit[JsonText[str | None]] = None
    annotations: Mapping[str, str] = {}
    host_id: str = ""


class StopProviderCommand(JsonPayload, frozen=True):
    """``cmd.{host}.sp``; ``provider_ref`` is the provider's public key."""

    WHAT = "stop provider command"
    provider_ref: NonEmpty
    link_name: LinkName = DEFAULT_LINK_NAME
    contract_id: str = ""
    annotations: Mapping[str, str] = {}
    host_id: str = ""


class StopHostCommand(JsonPayload, frozen=True):
    WHAT = "stop host command"
    host_id: str = ""
    timeout: Omit[UInt | None] = None  # milliseconds


class LabelPutRequest(JsonPayload, frozen=True):
    WHAT = "label put request"
    key: NonEmpty
    value: Required[str]


class LabelDeleteRequest(JsonPayload, frozen=True):
    WHAT = "label delete request"
    key: NonEmpty
