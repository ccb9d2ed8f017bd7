"""What a manifest's modules are, read once by whoever deploys it: the actor or provider key, revision and hash.

Placements, links and live updates are matched on these facts, never on the text of a path: two checkouts of the
same app name the same actor with different paths, and a reconciler on another host may not be able to read the
deployer's files at all. Facts are stored with the manifest (:mod:`lattice.app.store`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lattice.app.errors import ManifestInvalid
from lattice.app.manifest import Application, Component
from lattice.claims import ClaimsError, read_claims
from lattice.provider import ProviderError
from lattice.provider.claims import module_claims
from lattice.provider.par import read_par

PYTHON_SCHEME = "python:"
FILE_SCHEME = "file://"


@dataclass(frozen=True)
class ModuleFacts:
    """``key``: the actor's ``M…`` or provider's ``V…`` key; ``rev``: its claims revision; ``hash``: the module hash."""

    key: str
    rev: int = 0
    hash: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "rev": self.rev, "hash": self.hash}

    @classmethod
    def from_json(cls, body: Any) -> ModuleFacts | None:
        if not isinstance(body, Mapping) or not isinstance(body.get("key"), str) or not body["key"]:
            return None
        rev, digest = body.get("rev", 0), body.get("hash", "")
        return cls(body["key"], rev if isinstance(rev, int) else 0, digest if isinstance(digest, str) else "")


Facts = Mapping[str, ModuleFacts]  # component name → facts


def _file(image: str) -> Path:
    return Path(image.removeprefix(FILE_SCHEME))


def actor_facts(image: str) -> ModuleFacts:
    """The claims of a local actor module; :class:`ManifestInvalid` when it is unreadable or unsigned."""
    try:
        claims = read_claims(_file(image).read_bytes(), verify=False)
    except OSError as exc:
        raise ManifestInvalid(f"cannot read {_file(image)}: {exc.strerror or exc}") from exc
    except ClaimsError as exc:
        raise ManifestInvalid(f"{_file(image)} is not a signed actor module: {exc}") from exc
    return ModuleFacts(claims.subject, claims.metadata.rev or 0, claims.metadata.hash.upper())


def provider_facts(image: str) -> ModuleFacts | None:
    """The key of a ``python:`` provider (its package's claims) or a provider archive; None when not knowable here."""
    try:
        if image.startswith(PYTHON_SCHEME):
            claims = module_claims(image.removeprefix(PYTHON_SCHEME))
        elif image.startswith(FILE_SCHEME):
            claims = read_par(_file(image).read_bytes()).claims
        else:
            return None
    except (OSError, ProviderError, ClaimsError):
        return None  # the host that starts it reports why; links then wait for it to run
    return ModuleFacts(claims.subject, claims.metadata.rev or 0)


def _local_actor(comp: Component) -> bool:
    return comp.is_actor and comp.image.startswith(FILE_SCHEME)


def read_facts(app: Application) -> dict[str, ModuleFacts]:
    """Facts for every component this process can read: every local actor (it must be readable), ``python:`` and
    local provider archives. Registry refs have none here (the hosts pull them): they are matched by ref."""
    found: dict[str, ModuleFacts] = {}
    for comp in app.components:
        if comp.is_actor and not _local_actor(comp):
            continue
        facts = actor_facts(comp.image) if comp.is_actor else provider_facts(comp.image)
        if facts is not None:
            found[comp.name] = facts
    return found


def current_facts(app: Application, stored: Facts) -> dict[str, ModuleFacts]:
    """The stored facts, refreshed from the files where this process can read them (a rebuilt module shows here)."""
    found = dict(stored)
    for comp in filter(_local_actor, app.actors):
        try:
            found[comp.name] = actor_facts(comp.image)
        except ManifestInvalid:
            continue  # not readable here: keep what the deployer saw
    return found


def stale_without_rev(comp: Component, old: ModuleFacts | None, new: ModuleFacts) -> str | None:
    """Why a rebuilt module cannot roll out: same key, other hash, revision not higher; None when it can."""
    if old is None or old.key != new.key or not old.hash or old.hash == new.hash or new.rev > old.rev:
        return None
    return (
        f"component {comp.name!r}: {_file(comp.image)} changed (hash {new.hash[:12]}…) but keeps revision {new.rev} "
        f"(deployed: {old.rev}); sign it with a higher revision (`lattice claims sign --rev {old.rev + 1}`; for the "
        'examples bump "rev" in its actor.json and run `make actors`), or deploy with --force-update to replace '
        "the running instances"
    )
