"""Lattice state: links, claims and refmaps in the ``LATTICEDATA_{lattice}`` bucket, mirrored by every host."""

from host.state.cache import LatticeCache, LinkChange, LinkDeleted, LinkPut
from host.state.errors import StateError, StateMalformed, StateUnavailable
from host.state.records import actor_claims_record, caps_of, provider_claims_record
from host.state.store import LatticeStore

__all__ = [
    "LatticeCache",
    "LatticeStore",
    "LinkChange",
    "LinkDeleted",
    "LinkPut",
    "StateError",
    "StateMalformed",
    "StateUnavailable",
    "actor_claims_record",
    "caps_of",
    "provider_claims_record",
]
