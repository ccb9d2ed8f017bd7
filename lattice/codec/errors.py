"""The one error of the codec: a payload that is not what it should be.

Tree::

    LatticeError
    └── MalformedPayload                 bytes or a value are not the payload they claim to be (names payload, field)
        ├── wire.MessageMalformed        (also WireError) an RPC envelope, link definition, HostData or interface type
        └── control.PayloadError         (also ControlError, ValueError) a control-interface request or reply

Each payload type names the subclass it raises (``Struct.MALFORMED``), so callers keep catching the error of their
own package, and code that handles any payload catches :class:`MalformedPayload`.
"""

from __future__ import annotations

from lattice.errors import LatticeError


class MalformedPayload(LatticeError):
    """Bytes or a value are not the payload they should be; the message names the payload and the field."""
