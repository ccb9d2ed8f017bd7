"""The control interface, client side: payload types, the client, event waiting, and its errors."""

from lattice.control.client import (
    DEFAULT_GATHER_TIMEOUT_S,
    DEFAULT_REQUEST_TIMEOUT_S,
    ControlClient,
    ControlTimeouts,
)
from lattice.control.errors import (
    CommandFailedError,
    CommandRejectedError,
    ControlError,
    ControlTimeout,
    ControlUnreachable,
    HostNotFoundError,
    NoHostsError,
    NotFoundError,
    PayloadError,
)
from lattice.control.events import EventWatcher, LatticeEvent, matching

__all__ = [
    "DEFAULT_GATHER_TIMEOUT_S",
    "DEFAULT_REQUEST_TIMEOUT_S",
    "CommandFailedError",
    "CommandRejectedError",
    "ControlClient",
    "ControlError",
    "ControlTimeout",
    "ControlTimeouts",
    "ControlUnreachable",
    "EventWatcher",
    "HostNotFoundError",
    "LatticeEvent",
    "NoHostsError",
    "NotFoundError",
    "PayloadError",
    "matching",
]
