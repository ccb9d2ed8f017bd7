"""The lines ``lattice up`` prints as the lattice reports its app's providers, actors and links coming up."""

from __future__ import annotations

from collections.abc import Callable

from lattice.app.errors import ManifestInvalid
from lattice.app.facts import read_facts
from lattice.app.manifest import Application
from lattice.control import LatticeEvent

STARTED = {"actors_started", "provider_started", "actor_updated"}
FAILED = {"actors_start_failed", "actor_start_failed", "provider_start_failed", "actor_update_failed"}
LINKS = {"linkdef_applied", "linkdef_refused"}


class EventPrinter:
    """Turns the app's lifecycle events into one progress line each, named by component."""

    def __init__(self, app: Application, step: Callable[[str], None]) -> None:
        self._step = step
        self._refs = {c.image: c.name for c in app.components}
        try:
            self._names = {f.key: name for name, f in read_facts(app).items()}
        except ManifestInvalid:
            self._names = {}

    def _name(self, *values: object) -> str | None:
        for value in values:
            if isinstance(value, str) and value:
                found = self._names.get(value) or self._refs.get(value)
                if found:
                    return found
        return None

    def __call__(self, event: LatticeEvent) -> None:
        data, name = event.data, event.name
        if name in STARTED | FAILED:
            who = self._name(
                data.get("public_key"), data.get("image_ref"), data.get("actor_ref"), data.get("provider_ref")
            )
            if who is None:
                return
            if name in FAILED:
                self._step(f"{who}: {name.replace('_', ' ')}: {data.get('error') or data.get('reason') or '?'}")
            elif name == "actors_started":
                self._step(f"actor {who}: {data.get('count', 1)} instance(s) started on {event.source[:12]}…")
            elif name == "provider_started":
                self._step(f"provider {who} started on {event.source[:12] or data.get('host_id', '')}…")
            else:
                self._step(f"actor {who}: updated to revision {data.get('revision')}")
        elif name in LINKS:
            actor, provider = self._name(data.get("actor_id")), self._name(data.get("provider_id"))
            if actor is None or provider is None:
                return
            if name == "linkdef_applied":
                self._step(f"link {actor} → {provider} applied by the provider")
            else:
                self._step(f"link {actor} → {provider} REFUSED by the provider: {data.get('error')}")
