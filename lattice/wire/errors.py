"""Errors of wire messages and their anti-forgery checks.

Tree::

    LatticeError
    └── WireError                   a message on the wire cannot be used
        ├── MessageMalformed        not msgpack/JSON, wrong field types, missing required fields, too large
        │                           (also lattice.codec.MalformedPayload)
        └── ForgedInvocation        anti-forgery validation failed (docs/protocol.md §4.3)
            ├── UnknownIssuer       signed by a cluster key that is not a trusted issuer
            ├── InvocationTampered  payload changed under a valid token (hash mismatch)
            ├── WrongTarget         token was made for another origin/target/operation/id (replayed elsewhere)
            └── BadInvocationToken  token missing, malformed, badly signed, expired or lacking metadata
"""

from __future__ import annotations

from lattice.codec.errors import MalformedPayload
from lattice.errors import LatticeError


class WireError(LatticeError):
    """A message on the wire cannot be used."""


class MessageMalformed(WireError, MalformedPayload):
    """The bytes are not a well-formed message of the expected type."""


class ForgedInvocation(WireError):
    """An invocation failed anti-forgery validation."""


class UnknownIssuer(ForgedInvocation):
    """The invocation was signed by a cluster key that is not trusted."""


class InvocationTampered(ForgedInvocation):
    """The invocation's contents do not hash to the hash in its token."""


class WrongTarget(ForgedInvocation):
    """The invocation's token names another origin, target, operation or invocation id."""


class BadInvocationToken(ForgedInvocation):
    """The invocation's token is missing, malformed, badly signed, expired, or lacks metadata."""
