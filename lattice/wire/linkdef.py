"""LinkDefinition: which provider serves an actor for a contract and link name (docs/protocol.md §7.1)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Annotated

from lattice.codec import NonEmpty, empty_means
from lattice.wire.codec import WireStruct

DEFAULT_LINK_NAME = "default"
LinkName = Annotated[str, empty_means(DEFAULT_LINK_NAME)]
"""A link name; empty on the wire (or absent) reads as "default"."""


def link_id(actor_id: str, contract_id: str, link_name: str) -> str:
    """Uppercase-hex SHA-256 of ``actor_id ‖ contract_id ‖ link_name`` (no separators)."""
    return hashlib.sha256(f"{actor_id}{contract_id}{link_name}".encode()).hexdigest().upper()


class LinkDefinition(WireStruct, frozen=True):
    """Travels as msgpack (to providers) and as JSON (the lattice bucket, the control interface); ``id`` is sent,
    computed from the identity, and ignored on arrival."""

    WHAT = "link definition"
    WIRE_ORDER = ("id", "actor_id", "provider_id", "link_name", "contract_id", "values")
    actor_id: NonEmpty
    provider_id: NonEmpty
    contract_id: NonEmpty
    link_name: LinkName = DEFAULT_LINK_NAME
    values: Mapping[str, str] = {}

    @property
    def id(self) -> str:
        return link_id(self.actor_id, self.contract_id, self.link_name)

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.actor_id, self.contract_id, self.link_name)
