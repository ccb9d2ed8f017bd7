"""Who a host is: its keys, the cluster issuers it trusts, its friendly name and start time; and its labels.

Both are known before the host connects anywhere, so both are built from a :class:`HostConfig` alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from host.config import BUILTIN_LABEL_PREFIX, HostConfig, builtin_labels
from host.errors import HostError
from host.namegen import friendly_name
from lattice import keys

log = logging.getLogger(__name__)


class LabelRejected(HostError):
    """A label cannot be set or removed (empty, built in, or absent); the message says which."""


@dataclass(frozen=True)
class Identity:
    """A host's keys and names; ``cluster_issuers`` always include its own cluster key."""

    host_key: keys.KeyPair = field(repr=False)
    cluster_key: keys.KeyPair = field(repr=False)
    cluster_issuers: tuple[str, ...]
    friendly_name: str
    started_at: float = field(default_factory=time.monotonic)

    @classmethod
    def from_config(cls, config: HostConfig) -> Identity:
        """Keys from the configured seeds, or new ones (a random cluster key is logged: other hosts won't trust it)."""
        host_key = (
            keys.KeyPair.from_seed(config.host_seed, keys.KeyType.SERVER)
            if config.host_seed
            else keys.KeyPair.create(keys.KeyType.SERVER)
        )
        if config.cluster_seed:
            cluster_key = keys.KeyPair.from_seed(config.cluster_seed, keys.KeyType.CLUSTER)
        else:
            cluster_key = keys.KeyPair.create(keys.KeyType.CLUSTER)
            log.warning(
                "no cluster seed given: using a random cluster key %s; other hosts will only accept this host's "
                "invocations if they list it in their cluster issuers",
                cluster_key.public_key,
            )
        issuers = tuple(dict.fromkeys([*config.cluster_issuers, cluster_key.public_key]))
        return cls(host_key, cluster_key, issuers, friendly_name())

    @property
    def host_id(self) -> str:
        return self.host_key.public_key

    def uptime_seconds(self) -> int:
        return int(time.monotonic() - self.started_at)


class Labels(Mapping[str, str]):
    """The host's labels: the built-in ``hostcore.*`` ones (fixed) and the configured or added ones (changeable)."""

    def __init__(self, labels: Mapping[str, str]) -> None:
        self._labels = dict(labels)

    @classmethod
    def from_config(cls, config: HostConfig) -> Labels:
        return cls({**builtin_labels(), **config.labels})

    def __getitem__(self, key: str) -> str:
        return self._labels[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._labels)

    def __len__(self) -> int:
        return len(self._labels)

    def __repr__(self) -> str:
        return f"Labels({self._labels!r})"

    def put(self, key: str, value: str) -> None:
        if not key or key.startswith(BUILTIN_LABEL_PREFIX):
            raise LabelRejected(f"label {key!r} cannot be set: empty or reserved ({BUILTIN_LABEL_PREFIX}*)")
        self._labels[key] = value

    def delete(self, key: str) -> None:
        if key.startswith(BUILTIN_LABEL_PREFIX):
            raise LabelRejected(f"label {key!r} is built in and cannot be removed")
        if self._labels.pop(key, None) is None:
            raise LabelRejected(f"this host has no label {key!r}")

    def matches(self, constraints: Mapping[str, Any]) -> bool:
        """True when every constraint names a label this host has, with that value."""
        return all(self._labels.get(k) == v for k, v in constraints.items())
