"""Errors of the provider SDK (``lattice.provider``).

A handler raises one of these to answer an invocation with a clean error string; anything else a handler raises is
reported to the caller as an internal error of the operation (and logged with its traceback by the provider).
An invocation refused before any handler runs raises :class:`lattice.rpc.InvocationRejected`, the one class hosts and
providers share; the three refusals of a provider's own are also instances of it.

Tree::

    LatticeError
    └── ProviderError                  a capability provider cannot do what was asked
        ├── ProviderConfigError        host data, flags, settings or link values are unusable
        ├── ProviderDefinitionError    a Provider subclass is declared wrongly (bad @operation signature …)
        ├── UnlinkedActor              the origin actor has no link to this provider and link name  ┐ also
        ├── UnknownOperation           no handler for the operation                                 │ Invocation-
        ├── BadPayload                 the payload does not decode to the handler's input type      ┘ Rejected
        ├── LinkRefused                put_link refused a link (port in use, bad settings …); the link is not kept
        ├── OperationFailed            a handler failed; the message goes back to the caller as is
        ├── ProviderBusy               too many invocations in flight; try again later
        ├── ProviderArchiveError       a provider archive (PAR) is malformed, unsigned or altered
        └── ReportMalformed            a provider's answer to the providers ping is not a provider report
"""

from __future__ import annotations

from lattice.errors import LatticeError
from lattice.rpc.errors import InvocationRejected


class ProviderError(LatticeError):
    """A capability provider cannot do what was asked."""


class ProviderConfigError(ProviderError, ValueError):
    """Host data, command-line flags, provider settings or link values are unusable."""


class ProviderDefinitionError(ProviderError, TypeError):
    """A Provider subclass is declared wrongly, e.g. an @operation handler with an unsupported payload type."""


class UnlinkedActor(ProviderError, InvocationRejected):
    """The origin actor has no link to this provider and link name (wasmbus-rpc's ``unlinked actor``)."""


class UnknownOperation(ProviderError, InvocationRejected):
    """No handler serves the operation."""


class BadPayload(ProviderError, InvocationRejected):
    """The payload does not decode to the handler's declared input type."""


class LinkRefused(ProviderError):
    """A link cannot be served (port in use, bad settings, …); the provider keeps serving its other links."""


class OperationFailed(ProviderError):
    """A handler failed in a way the caller should hear about; the message is sent back as is."""


class ProviderBusy(ProviderError):
    """Too many invocations are in flight."""


class ProviderArchiveError(ProviderError):
    """A provider archive (PAR) is malformed, its claims do not verify, or a binary does not match its hash."""


class ReportMalformed(ProviderError, ValueError):
    """A provider's answer to the providers ping is not the JSON report :mod:`lattice.provider.status` describes."""


__all__ = [
    "BadPayload",
    "InvocationRejected",
    "LinkRefused",
    "OperationFailed",
    "ProviderArchiveError",
    "ProviderBusy",
    "ProviderConfigError",
    "ProviderDefinitionError",
    "ProviderError",
    "ReportMalformed",
    "UnknownOperation",
    "UnlinkedActor",
]
