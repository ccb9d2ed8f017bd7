"""Errors of the control interface, as the client (and the CLI) see them.

Tree::

    LatticeError
    └── ControlError                    a control-interface operation did not succeed
        ├── PayloadError                a request or reply is not JSON, or a field is missing or of the wrong type
        │                               (also lattice.codec.MalformedPayload, ValueError)
        ├── ControlUnreachable          NATS cannot be reached (or refused the credentials)
        ├── ControlTimeout              no reply in time (also asyncio.TimeoutError)
        ├── NoHostsError                no host answered on the lattice
        │   └── HostNotFoundError       the named host is not on the lattice
        ├── NotFoundError               no single actor or provider matches the key, alias or name given
        └── CommandRejectedError        a host answered ``{"accepted": false, "error": reason}``
            └── CommandFailedError      the host accepted it, then reported failure in an event (``*_failed``)

What the caller can do: fix the input (PayloadError), start NATS or fix the URL/credentials (ControlUnreachable),
retry or raise the timeout (ControlTimeout), start a host or check the lattice prefix (NoHostsError), read the
host's ``reason`` (CommandRejectedError, CommandFailedError).
"""

from __future__ import annotations

from lattice.codec.errors import MalformedPayload
from lattice.errors import LatticeError, LatticeTimeoutError


class ControlError(LatticeError):
    """A control-interface operation did not succeed."""


class PayloadError(ControlError, MalformedPayload, ValueError):
    """A control request or reply is not valid JSON of the expected shape; the message names the field."""


class ControlUnreachable(ControlError):
    """The NATS server of the lattice cannot be reached, or it refused the credentials."""


class ControlTimeout(ControlError, LatticeTimeoutError):
    """A host did not reply in time."""


class NoHostsError(ControlError):
    """No host answered on the lattice."""


class HostNotFoundError(NoHostsError):
    """The host a command names does not answer on the lattice."""


class NotFoundError(ControlError):
    """No single actor or provider matches the key, call alias or name given."""


class CommandRejectedError(ControlError):
    """A host refused a command; ``reason`` is the ack's ``error`` text."""

    def __init__(self, reason: str, host_id: str = "") -> None:
        where = f"host {host_id} " if host_id else "the host "
        super().__init__(f"{where}refused the command: {reason or '(no reason given)'}")
        self.reason = reason
        self.host_id = host_id


class CommandFailedError(CommandRejectedError):
    """A host accepted a command, then reported in an event (``actor_start_failed``, …) that the work failed."""

    def __init__(self, reason: str, host_id: str = "") -> None:
        super().__init__(reason, host_id)
        where = f"host {host_id}" if host_id else "the host"
        self.args = (f"{where} could not carry out the command: {reason or '(no reason given)'}",)
