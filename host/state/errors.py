"""Errors of the lattice state (the ``LATTICEDATA_{lattice}`` bucket and its caches).

Tree::

    HostError
    └── StateError                  the lattice data cannot be read or written
        ├── StateUnavailable        the bucket cannot be opened, or a write failed (JetStream down, no permission)
        └── StateMalformed          a value in the bucket is not what its key promises
"""

from __future__ import annotations

from host.errors import HostError


class StateError(HostError):
    """The lattice data cannot be read or written."""


class StateUnavailable(StateError):
    """The bucket cannot be opened or written."""


class StateMalformed(StateError):
    """A bucket value does not parse as what its key promises."""
