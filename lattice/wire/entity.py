"""WasmCloudEntity: who sends or receives an invocation, and its URL form (docs/protocol.md §4.2, §4.3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lattice.wire.codec import get_str
from lattice.wire.errors import MessageMalformed


@dataclass(frozen=True)
class WasmCloudEntity:
    """An actor (``link_name`` and ``contract_id`` empty) or a provider (all three set)."""

    public_key: str
    link_name: str = ""
    contract_id: str = ""

    @classmethod
    def actor(cls, public_key: str) -> WasmCloudEntity:
        return cls(public_key)

    @classmethod
    def provider(cls, public_key: str, contract_id: str, link_name: str) -> WasmCloudEntity:
        return cls(public_key, link_name, contract_id)

    @property
    def is_actor(self) -> bool:
        return self.public_key[:1].upper() == "M"

    def url(self) -> str:
        """``wasmbus://{pk}`` for actors, ``wasmbus://{contract}/{link}/{pk}`` for providers."""
        if self.is_actor:
            return f"wasmbus://{self.public_key}"
        contract = self.contract_id.replace(":", "/").replace(" ", "_").lower()
        link = self.link_name.replace(" ", "_").lower()
        return f"wasmbus://{contract}/{link}/{self.public_key}"

    def to_wire(self) -> dict[str, Any]:
        return {"public_key": self.public_key, "link_name": self.link_name, "contract_id": self.contract_id}

    @classmethod
    def from_wire(cls, body: Any, what: str) -> WasmCloudEntity:
        if not isinstance(body, Mapping):
            raise MessageMalformed(f"{what} must be a map with public_key, link_name, contract_id")
        return cls(
            get_str(body, "public_key", what), get_str(body, "link_name", what), get_str(body, "contract_id", what)
        )
