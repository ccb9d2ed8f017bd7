"""Lattice RPC: signed invocations over NATS request/reply, with object-store chunking of large payloads."""

from lattice.rpc.chunks import CHUNK_THRESHOLD_BYTES, ChunkStore
from lattice.rpc.client import RpcClient, RpcSettings
from lattice.rpc.errors import ChunkError, InvocationRejected, RemoteError, RpcError, RpcTimeout

__all__ = [
    "CHUNK_THRESHOLD_BYTES",
    "ChunkError",
    "ChunkStore",
    "InvocationRejected",
    "RemoteError",
    "RpcClient",
    "RpcError",
    "RpcSettings",
    "RpcTimeout",
]
