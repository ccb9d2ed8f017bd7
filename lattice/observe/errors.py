"""Errors of the observability helpers.

Tree::

    LatticeError
    └── ObserveError                          an observability helper cannot do what was asked
        ├── ListenAddressError (ValueError)   a HOST:PORT is malformed
        ├── ListenError                       an address cannot be bound (not local, permission)
        │   └── PortInUseError                another process already listens there
        └── TracingConfigError (ValueError)   the OTEL_* variables ask for what is not supported

What the caller can do: fix the flag or variable (ListenAddressError, TracingConfigError), pick another port or
stop the other process (PortInUseError). A process that cannot serve metrics keeps running: the host logs the
error and carries on without the endpoint.
"""

from __future__ import annotations

from lattice.errors import LatticeError


class ObserveError(LatticeError):
    """An observability helper (metrics, tracing, listening address) cannot do what was asked."""


class ListenAddressError(ObserveError, ValueError):
    """A ``HOST:PORT`` listening address is malformed; the message names the flag or variable."""


class ListenError(ObserveError):
    """A listening address cannot be bound (not an address of this machine, or not permitted)."""


class PortInUseError(ListenError):
    """Another process already listens on the address."""


class TracingConfigError(ObserveError, ValueError):
    """The ``OTEL_*`` environment asks for an exporter or protocol this process does not support."""
