"""Built-in capabilities served inside the host, no link needed (docs/protocol.md §9.4); the actor needs the claim.

* ``wasmcloud:builtin:logging`` — ``Logging.WriteLog`` ``{level, text}`` → host log ``[actor_pk] text``.
* ``wasmcloud:builtin:numbergen`` — ``NumberGen.GenerateGuid`` → str, ``NumberGen.RandomInRange`` ``{min, max}`` →
  u32 in the **inclusive** range, ``NumberGen.Random32`` → u32.

Pure and synchronous: they run on the guest's worker thread without touching the event loop.

Errors::

    HostError
    └── BuiltinError        bad input or unknown operation; the message goes to the guest as its host error
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable, Mapping
from typing import TypeVar

from host.errors import HostError
from lattice.interfaces import LogEntry, RangeLimit
from lattice.wire import MessageMalformed, WireStruct, pack

LOGGING = "wasmcloud:builtin:logging"
NUMBERGEN = "wasmcloud:builtin:numbergen"
NAMESPACES = frozenset({LOGGING, NUMBERGEN})
U32_MAX = 2**32 - 1
S = TypeVar("S", bound=WireStruct)
LOG_LEVELS: Mapping[str, int] = {
    "trace": logging.DEBUG,
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}

actor_log = logging.getLogger("host.actors.log")


class BuiltinError(HostError):
    """A built-in capability could not serve the call."""


def _decode(kind: type[S], payload: bytes) -> S:
    try:
        return kind.decode(payload)
    except MessageMalformed as exc:
        raise BuiltinError(str(exc)) from None


def write_log(actor_id: str, payload: bytes) -> bytes:
    entry = _decode(LogEntry, payload)
    actor_log.log(LOG_LEVELS.get(entry.level.lower(), logging.INFO), "[%s] %s", actor_id, entry.text)
    return b""


def generate_guid(actor_id: str, payload: bytes) -> bytes:
    return pack(str(uuid.uuid4()))


def random_in_range(actor_id: str, payload: bytes) -> bytes:
    limit = _decode(RangeLimit, payload)
    if limit.min > limit.max:
        raise BuiltinError(f"RangeLimit.min {limit.min} is greater than max {limit.max}")
    return pack(limit.min + secrets.randbelow(limit.max - limit.min + 1))


def random_32(actor_id: str, payload: bytes) -> bytes:
    return pack(secrets.randbelow(U32_MAX + 1))


OPERATIONS: Mapping[tuple[str, str], Callable[[str, bytes], bytes]] = {
    (LOGGING, "Logging.WriteLog"): write_log,
    (NUMBERGEN, "NumberGen.GenerateGuid"): generate_guid,
    (NUMBERGEN, "NumberGen.RandomInRange"): random_in_range,
    (NUMBERGEN, "NumberGen.Random32"): random_32,
}


def handle(actor_id: str, namespace: str, operation: str, payload: bytes) -> bytes:
    """Serve one built-in call; raises :class:`BuiltinError` with a message fit for the guest."""
    handler = OPERATIONS.get((namespace, operation))
    if handler is None:
        raise BuiltinError(f"unknown operation {operation} for {namespace}")
    return handler(actor_id, payload)
