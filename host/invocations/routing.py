"""Where an actor's ``__host_call(binding, namespace, operation, payload)`` goes, in OTP's order. Pure.

docs/protocol.md §1.5:

1. a built-in namespace (handled by the caller of :func:`resolve`, see :mod:`host.builtins`);
2. a link (source actor, contract = namespace, link name = binding) → that provider; the actor needs the claim;
3. a 56-character ``M…`` key → that actor (no link, no claim);
4. a call alias from the claims cache → that actor;
5. nothing: a contract-looking namespace lacks a link, anything else has no target.
"""

from __future__ import annotations

from collections.abc import Collection

from host.invocations.errors import RouteError
from host.state import LatticeCache
from lattice import keys
from lattice.wire import DEFAULT_LINK_NAME, WasmCloudEntity

NO_TARGET = "Could not identify suitable target for invocation"


def missing_claim(namespace: str) -> str:
    return f"Invocation not authorized: missing capability claim for {namespace}"


def missing_link(namespace: str, lattice: str) -> str:
    return f"Invocation not authorized: missing link definition for {namespace} on {lattice}"


def is_actor_key(namespace: str) -> bool:
    return len(namespace) == keys.PUBLIC_KEY_LENGTH and namespace.startswith("M")


def looks_like_contract(namespace: str) -> bool:
    """``vendor:name`` style contract ids (``wasmcloud:keyvalue``)."""
    return ":" in namespace


def resolve(
    cache: LatticeCache, lattice: str, actor_id: str, caps: Collection[str], binding: str, namespace: str
) -> WasmCloudEntity:
    """The entity a host call targets; raises :class:`RouteError` with the message the guest should see."""
    link = cache.link(actor_id, namespace, binding or DEFAULT_LINK_NAME)
    if link is not None:
        if namespace not in caps:
            raise RouteError(missing_claim(namespace))
        return WasmCloudEntity.provider(link.provider_id, link.contract_id, link.link_name)
    if is_actor_key(namespace):
        return WasmCloudEntity.actor(namespace)
    aliased = cache.resolve_alias(namespace)
    if aliased is not None:
        return WasmCloudEntity.actor(aliased)
    if looks_like_contract(namespace):
        if namespace not in caps:
            raise RouteError(missing_claim(namespace))
        raise RouteError(missing_link(namespace, lattice))
    raise RouteError(NO_TARGET)
