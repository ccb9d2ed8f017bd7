"""WasmCloudEntity: who sends or receives an invocation, and its URL form (docs/protocol.md §4.2, §4.3)."""

from __future__ import annotations

from lattice.wire.codec import WireStruct


class WasmCloudEntity(WireStruct, frozen=True):
    """An actor (``link_name`` and ``contract_id`` empty) or a provider (all three set)."""

    WHAT = "entity"
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
