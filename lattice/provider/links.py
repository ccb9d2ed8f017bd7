"""The links a provider serves, keyed by actor id, and case-insensitive access to link values (docs/protocol.md §7.3).

Every host of a lattice publishes each link to the provider, so ``put`` must be idempotent: a put for an actor
that is already linked with the same values is a duplicate and is ignored.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from lattice.provider.errors import ProviderConfigError
from lattice.wire import LinkDefinition

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


class LinkValues(Mapping[str, str]):
    """A link's ``values`` with case-insensitive keys (``PORT`` and ``port`` are the same)."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = {k.lower(): v for k, v in values.items()}

    def __getitem__(self, key: str) -> str:
        return self._values[key.lower()]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def get_int(self, key: str, default: int, *, low: int, high: int) -> int:
        """An integer value within ``[low, high]``; :class:`ProviderConfigError` otherwise."""
        raw = self.get(key)
        if raw is None or raw.strip() == "":
            return default
        try:
            value = int(raw.strip())
        except ValueError:
            raise ProviderConfigError(f"link value {key} = {raw!r} is not an integer") from None
        if not low <= value <= high:
            raise ProviderConfigError(f"link value {key} = {value} is out of range [{low}, {high}]")
        return value

    def get_bool(self, key: str, default: bool) -> bool:
        raw = self.get(key)
        if raw is None:
            return default
        return parse_bool(raw, f"link value {key}")


def parse_bool(raw: str, what: str) -> bool:
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ProviderConfigError(f"{what} = {raw!r} is not a boolean (true/false)")


class LinkTable:
    """Links by actor id; :meth:`is_duplicate` tells a repeated put from a change."""

    def __init__(self) -> None:
        self._links: dict[str, LinkDefinition] = {}

    def get(self, actor_id: str) -> LinkDefinition | None:
        return self._links.get(actor_id)

    def is_duplicate(self, link: LinkDefinition) -> bool:
        known = self._links.get(link.actor_id)
        return known is not None and dict(known.values) == dict(link.values) and known.link_name == link.link_name

    def put(self, link: LinkDefinition) -> None:
        self._links[link.actor_id] = link

    def remove(self, actor_id: str) -> LinkDefinition | None:
        return self._links.pop(actor_id, None)

    def __contains__(self, actor_id: object) -> bool:
        return actor_id in self._links

    def __len__(self) -> int:
        return len(self._links)

    def all(self) -> list[LinkDefinition]:
        return list(self._links.values())
