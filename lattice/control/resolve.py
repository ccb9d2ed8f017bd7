"""Naming actors and providers the way people do: a key, a unique key prefix, a call alias or a name.

The lattice knows an actor or provider once a host ran it (its claims are stored, docs/protocol.md §7.2) or, for a
provider run by hand, once it answers the providers ping. Commands that store something about an entity
(``link put``) refuse an entity the lattice does not know, so a mistyped key fails at once instead of as an HTTP
500 later; ``force`` skips that check for a key (to link ahead of a first start).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lattice import keys
from lattice.control.client import ControlClient
from lattice.control.errors import NotFoundError

MIN_PREFIX = 4


@dataclass(frozen=True)
class Known:
    """One actor or provider the lattice knows: key, name, contract (providers) and call alias (actors)."""

    key: str
    name: str = ""
    contract_id: str = ""
    call_alias: str = ""
    refs: tuple[str, ...] = ()  # image refs it runs from (``python:wasmlattice_httpserver``, ``file://…``)


def _from_claims(claims: Sequence[Mapping[str, str]], kind: keys.KeyType) -> list[Known]:
    prefix = kind.letter
    return [
        Known(c["sub"], c.get("name", ""), c.get("contract_id", ""), c.get("call_alias", ""))
        for c in claims
        if c.get("sub", "").startswith(prefix)
    ]


def _pick(text: str, candidates: Sequence[Known], what: str, lattice: str) -> Known | None:
    """The single candidate ``text`` names; None when none does; :class:`NotFoundError` when several do."""
    wanted = text.casefold()
    tests = (
        lambda k: k.key == text,
        lambda k: bool(k.call_alias) and k.call_alias.casefold() == wanted,
        lambda k: bool(k.name) and k.name.casefold() == wanted,
        lambda k: any(r.casefold() in (wanted, f"python:{wanted}") for r in k.refs),
        lambda k: len(text) >= MIN_PREFIX and k.key.startswith(text.upper()),
    )
    for test in tests:
        found = {k.key: k for k in candidates if test(k)}
        if len(found) == 1:
            return next(iter(found.values()))
        if len(found) > 1:
            names = ", ".join(f"{k.key[:12]}… ({k.name or '?'})" for k in found.values())
            raise NotFoundError(f"{text!r} names several {what}s on lattice {lattice!r}: {names}; use a key")
    return None


async def find_actor(ctl: ControlClient, text: str, *, force: bool = False) -> str:
    """The key of the actor ``text`` names; an unknown key is refused unless ``force``."""
    known = _from_claims(await ctl.get_claims(), keys.KeyType.MODULE)
    found = _pick(text, known, "actor", ctl.lattice)
    if found is not None:
        return found.key
    if force and keys.is_public_key(text, keys.KeyType.MODULE):
        return text
    hint = " (--force links a key no host ran yet)" if keys.is_public_key(text, keys.KeyType.MODULE) else ""
    raise NotFoundError(
        f"no actor with key, call alias or name {text!r} on lattice {ctl.lattice!r}{hint}; "
        "`lattice ctl get claims` lists them"
    )


async def _providers(ctl: ControlClient) -> list[Known]:
    """Providers from the claims, the hosts' inventories and the providers ping (run by hand)."""
    found = {k.key: k for k in _from_claims(await ctl.get_claims(), keys.KeyType.SERVICE)}
    refs: dict[str, set[str]] = {}
    for host in await ctl.ping_hosts():
        for p in (await ctl.get_inventory(host.id)).providers:
            refs.setdefault(p.id, set()).add(p.image_ref)
            found.setdefault(p.id, Known(p.id, p.name, p.contract_id))
    for report in await ctl.ping_providers():
        found.setdefault(report.provider_id, Known(report.provider_id, report.name, report.contract_id))
    return [
        Known(k.key, k.name, k.contract_id, k.call_alias, tuple(sorted(refs.get(k.key, set())))) for k in found.values()
    ]


async def find_provider(ctl: ControlClient, text: str, *, force: bool = False) -> Known:
    """The provider ``text`` names (key, unique prefix, claims name or ``python:`` module); unknown refused."""
    claims = _from_claims(await ctl.get_claims(), keys.KeyType.SERVICE)
    found = next((k for k in claims if k.key == text), None) or _pick(text, await _providers(ctl), "provider", "")
    if found is not None:
        return found
    if force and keys.is_public_key(text, keys.KeyType.SERVICE):
        return Known(text)
    hint = " (--force links a key no host ran yet)" if keys.is_public_key(text, keys.KeyType.SERVICE) else ""
    raise NotFoundError(
        f"no provider with key, name or module {text!r} on lattice {ctl.lattice!r}{hint}; "
        "`lattice ctl get inventory` lists them"
    )
