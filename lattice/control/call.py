"""Calling an actor from outside the lattice (``lattice call``): a signed invocation from a CLI origin.

The origin is an actor-shaped entity with a key that is not a real key, as ``wash call`` does (``__WASH__``), so
the receiving host treats the call like an actor-to-actor call: no link or capability claim is needed, but the
invocation must be signed with a cluster seed the host trusts. Payloads go in as JSON and travel as MessagePack
(or as raw bytes); replies come back the same way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import msgpack

from lattice import keys
from lattice.control.errors import PayloadError
from lattice.rpc import RpcClient, RpcSettings
from lattice.wire import WasmCloudEntity
from lattice.wire.hostdata import DEFAULT_RPC_TIMEOUT_MS

CLI_ORIGIN_KEY = "__WASMLATTICE_CLI__"  # not a real key, like wash's "__WASH__"


def cli_origin() -> WasmCloudEntity:
    return WasmCloudEntity.actor(CLI_ORIGIN_KEY)


def json_to_msgpack(text: str) -> bytes:
    """The MessagePack encoding of a JSON document; an empty text is an empty payload."""
    if not text.strip():
        return b""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise PayloadError(f"the payload is not valid JSON ({exc}); pass --raw to send it as bytes") from exc
    return msgpack.packb(value, use_bin_type=True)  # type: ignore[no-any-return]


def msgpack_to_json(data: bytes) -> Any:
    """A reply as JSON-ready values: bins become text when they are UTF-8, else lists of byte values."""
    if not data:
        return None
    try:
        value = msgpack.unpackb(data, raw=False, strict_map_key=False)
    except Exception as exc:  # msgpack raises assorted errors on arbitrary bytes
        raise PayloadError(f"the reply is not MessagePack ({type(exc).__name__}); pass --raw to get its bytes") from exc
    return _jsonable(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return list(value)
    if isinstance(value, Mapping):
        return {str(_jsonable(k)): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


async def call_actor(
    nc: Any,
    lattice: str,
    cluster_key: keys.KeyPair,
    actor_id: str,
    operation: str,
    payload: bytes,
    timeout_ms: int = DEFAULT_RPC_TIMEOUT_MS,
) -> bytes:
    """Invoke ``operation`` on ``actor_id``; the reply bytes, or an :class:`~lattice.rpc.RpcError`."""
    caller = keys.KeyPair.create(keys.KeyType.SERVER).public_key  # the invocation's host_id: this CLI run
    rpc = RpcClient(nc, RpcSettings(lattice, caller, cluster_key, timeout_ms))
    return await rpc.call(cli_origin(), WasmCloudEntity.actor(actor_id), operation, payload)


async def call_provider(
    nc: Any,
    lattice: str,
    cluster_key: keys.KeyPair,
    target: WasmCloudEntity,
    on_behalf_of: str,
    operation: str,
    payload: bytes,
    timeout_ms: int = DEFAULT_RPC_TIMEOUT_MS,
) -> bytes:
    """Invoke a provider operation as the linked actor ``on_behalf_of`` would (providers serve linked actors)."""
    caller = keys.KeyPair.create(keys.KeyType.SERVER).public_key
    rpc = RpcClient(nc, RpcSettings(lattice, caller, cluster_key, timeout_ms))
    return await rpc.call(WasmCloudEntity.actor(on_behalf_of), target, operation, payload)
