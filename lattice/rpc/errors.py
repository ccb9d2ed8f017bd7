"""Errors of lattice RPC.

Tree::

    LatticeError
    └── RpcError                    an invocation did not produce a result
        ├── RpcTimeout              no reply in time, or no responders (also asyncio.TimeoutError)
        ├── RemoteError             the target replied with an error string (InvocationResponse.error)
        ├── ChunkError              a chunked payload could not be stored or fetched
        └── InvocationRejected      an inbound invocation is refused (malformed, forged, not for this member, …)
"""

from __future__ import annotations

from lattice.errors import LatticeError, LatticeTimeoutError


class RpcError(LatticeError):
    """An invocation did not produce a result."""


class RpcTimeout(RpcError, LatticeTimeoutError):
    """No reply in time (or nobody subscribed to the target)."""


class RemoteError(RpcError):
    """The target answered with an error."""


class ChunkError(RpcError):
    """A chunked payload could not be stored or fetched through the object store."""


class InvocationRejected(RpcError):
    """An inbound invocation is refused before it runs; the message is the caller's answer."""
