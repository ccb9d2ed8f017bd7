"""In-memory mirror of the lattice bucket: links, claims, call aliases, refmaps. Pure: no NATS, no clock.

:meth:`LatticeCache.apply` takes one bucket entry (key + value, or None for a deleted key) and returns what
changed about links, so the caller can tell providers. Call aliases follow OTP: longer than one character, and the
first registration wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from host.state.errors import StateMalformed
from host.state.records import caps_of, decode_claims_record, decode_refmap
from lattice import subjects
from lattice.subjects import KvKind
from lattice.wire import LinkDefinition, MessageMalformed

MIN_ALIAS_LENGTH = 2


@dataclass(frozen=True)
class LinkPut:
    link: LinkDefinition


@dataclass(frozen=True)
class LinkDeleted:
    link: LinkDefinition


LinkChange = LinkPut | LinkDeleted


class LatticeCache:
    """What this host knows of the lattice's data."""

    def __init__(self) -> None:
        self._links_by_key: dict[str, LinkDefinition] = {}
        self._links: dict[tuple[str, str, str], LinkDefinition] = {}
        self._claims: dict[str, dict[str, str]] = {}
        self._aliases: dict[str, str] = {}
        self._refmaps: dict[str, str] = {}

    # --- applying bucket entries ----------------------------------------------------------------------------------

    def apply(self, key: str, value: bytes | None) -> list[LinkChange]:
        """Mirror one entry; ``value`` None means the key was deleted or purged. Raises :class:`StateMalformed`."""
        try:
            kind, rest = subjects.parse_kv_key(key)
        except subjects.SubjectError as exc:
            raise StateMalformed(str(exc)) from None
        if kind is KvKind.LINKDEF:
            return self._apply_link(key, value)
        if kind is KvKind.CLAIMS:
            self._apply_claims(rest, value)
        else:
            self._apply_refmap(rest, value)
        return []

    def _apply_link(self, key: str, value: bytes | None) -> list[LinkChange]:
        old = self._links_by_key.pop(key, None)
        if old is not None:
            self._links.pop(old.identity, None)
        if value is None:
            return [LinkDeleted(old)] if old is not None else []
        try:
            link = LinkDefinition.decode_json(value)
        except MessageMalformed as exc:
            raise StateMalformed(f"{key}: {exc}") from None
        _check_subject_tokens(key, link)
        self._links_by_key[key] = link
        self._links[link.identity] = link
        moved = old is not None and (old.provider_id, old.link_name) != (link.provider_id, link.link_name)
        return [LinkDeleted(old), LinkPut(link)] if moved and old is not None else [LinkPut(link)]

    def _apply_claims(self, public_key: str, value: bytes | None) -> None:
        if value is None:
            self._claims.pop(public_key, None)
            self._aliases = {a: pk for a, pk in self._aliases.items() if pk != public_key}
            return
        record = decode_claims_record(value)
        self._claims[public_key] = record
        alias = record.get("call_alias", "")
        if len(alias) >= MIN_ALIAS_LENGTH:
            self._aliases.setdefault(alias, public_key)

    def _apply_refmap(self, image_ref: str, value: bytes | None) -> None:
        if value is None:
            self._refmaps.pop(image_ref, None)
        else:
            self._refmaps[image_ref] = decode_refmap(value)

    # --- queries --------------------------------------------------------------------------------------------------

    def link(self, actor_id: str, contract_id: str, link_name: str) -> LinkDefinition | None:
        return self._links.get((actor_id, contract_id, link_name))

    def link_by_key(self, key: str) -> LinkDefinition | None:
        return self._links_by_key.get(key)

    def links(self) -> list[LinkDefinition]:
        return list(self._links.values())

    def links_for_provider(self, provider_id: str, link_name: str) -> list[LinkDefinition]:
        return [ld for ld in self._links.values() if ld.provider_id == provider_id and ld.link_name == link_name]

    def claims(self, public_key: str) -> Mapping[str, str] | None:
        return self._claims.get(public_key)

    def all_claims(self) -> list[dict[str, str]]:
        return [dict(record) for record in self._claims.values()]

    def caps(self, public_key: str) -> tuple[str, ...]:
        record = self._claims.get(public_key)
        return caps_of(record) if record is not None else ()

    def resolve_alias(self, alias: str) -> str | None:
        return self._aliases.get(alias)

    def refmap(self, image_ref: str) -> str | None:
        return self._refmaps.get(image_ref)


def _check_subject_tokens(key: str, link: LinkDefinition) -> None:
    """A link's provider key and link name become subject tokens; refuse ones that would not be."""
    try:
        subjects.check_token(link.provider_id, "provider_id")
        subjects.check_token(link.link_name, "link_name")
    except subjects.SubjectError as exc:
        raise StateMalformed(f"{key}: {exc}") from None
