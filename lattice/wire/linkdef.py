"""LinkDefinition: which provider serves an actor for a contract and link name (docs/protocol.md §7.1)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lattice.wire.codec import get_str, get_str_map, pack, unpack_map
from lattice.wire.errors import MessageMalformed

DEFAULT_LINK_NAME = "default"


def link_id(actor_id: str, contract_id: str, link_name: str) -> str:
    """Uppercase-hex SHA-256 of ``actor_id ‖ contract_id ‖ link_name`` (no separators)."""
    return hashlib.sha256(f"{actor_id}{contract_id}{link_name}".encode()).hexdigest().upper()


@dataclass(frozen=True)
class LinkDefinition:
    actor_id: str
    provider_id: str
    contract_id: str
    link_name: str = DEFAULT_LINK_NAME
    values: Mapping[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return link_id(self.actor_id, self.contract_id, self.link_name)

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.actor_id, self.contract_id, self.link_name)

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "actor_id": self.actor_id,
            "provider_id": self.provider_id,
            "link_name": self.link_name,
            "contract_id": self.contract_id,
            "values": dict(self.values),
        }

    def encode_msgpack(self) -> bytes:
        return pack(self.to_wire())

    def encode_json(self) -> bytes:
        return json.dumps(self.to_wire(), separators=(",", ":")).encode()

    @classmethod
    def from_wire(cls, body: Any, what: str = "link definition") -> LinkDefinition:
        if not isinstance(body, Mapping):
            raise MessageMalformed(f"{what} must be an object")
        link = cls(
            actor_id=get_str(body, "actor_id", what),
            provider_id=get_str(body, "provider_id", what),
            contract_id=get_str(body, "contract_id", what),
            link_name=get_str(body, "link_name", what) or DEFAULT_LINK_NAME,
            values=get_str_map(body, "values", what),
        )
        missing = [k for k in ("actor_id", "provider_id", "contract_id") if not getattr(link, k)]
        if missing:
            raise MessageMalformed(f"{what} lacks {', '.join(missing)}")
        return link

    @classmethod
    def decode_msgpack(cls, data: bytes) -> LinkDefinition:
        return cls.from_wire(unpack_map(data, "link definition"))

    @classmethod
    def decode_json(cls, data: bytes | str) -> LinkDefinition:
        try:
            body = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MessageMalformed(f"link definition is not JSON: {exc}") from exc
        return cls.from_wire(body)
