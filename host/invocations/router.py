"""The outbound router: serves an actor's ``__host_call`` (the runtime's :class:`HostCallHandler`).

The runtime calls it on the thread of the guest call. Built-ins run right there, also on the event loop thread (they
are its ``inline_namespaces``: a guest call inline on the loop may make them, see :mod:`host.runtime.inline`);
everything else, which the runtime never hands over on the loop thread, hops to the event loop with
``asyncio.run_coroutine_threadsafe(...).result(timeout)``: resolve the target (:mod:`host.invocations.routing`),
ask the policy service, send a signed Invocation through :class:`RpcClient`, publish the result event. Every
failure reaches the guest as :class:`HostCallFailed` with a clean message.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Collection
from dataclasses import dataclass

from host import builtins
from host.invocations.context import InvocationContext
from host.invocations.errors import RouteError
from host.invocations.routing import missing_claim, resolve
from host.policy import PolicyAction, PolicyDenied, PolicyEntity
from host.runtime import HostCallFailed
from lattice.rpc import CHUNK_THRESHOLD_BYTES, RemoteError, RpcError, RpcTimeout
from lattice.rpc.chunks import CHUNK_EXTRA_TIMEOUT_S
from lattice.wire import WasmCloudEntity

RPC_TIMEOUT_MESSAGE = "Failed to perform RPC call: request timeout"
HOP_MARGIN_S = 1.0
"""Extra time the worker thread waits beyond the RPC timeout, so the RPC layer's own timeout answers first."""

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RouterContext:
    """What every actor's router shares on one host: the invocation context, the event loop that serves it (and
    its thread, on which guests must never call out), and how long a host call may take."""

    shared: InvocationContext
    loop: asyncio.AbstractEventLoop
    loop_thread: int
    timeout_ms: int

    @classmethod
    def here(cls, shared: InvocationContext, timeout_ms: int) -> RouterContext:
        """Serve host calls on the running event loop."""
        return cls(shared, asyncio.get_running_loop(), threading.get_ident(), timeout_ms)


class HostCallRouter:
    """The host-call handler of one actor. ``caps`` is replaced on live update."""

    inline_namespaces = builtins.NAMESPACES
    """Served at once on any thread (the runtime's ``HostCallHandler`` contract)."""

    def __init__(self, ctx: RouterContext, actor_id: str, caps: Collection[str]) -> None:
        self._ctx = ctx
        self.actor_id = actor_id
        self.caps: frozenset[str] = frozenset(caps)

    def __call__(self, binding: str, namespace: str, operation: str, payload: bytes) -> bytes:
        if namespace in builtins.NAMESPACES:
            return self._builtin(namespace, operation, payload)
        if threading.get_ident() == self._ctx.loop_thread:
            raise HostCallFailed("host calls must not run on the event loop thread")
        future = asyncio.run_coroutine_threadsafe(self.route(binding, namespace, operation, payload), self._ctx.loop)
        try:
            return future.result(self._wait_s(len(payload)))
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise HostCallFailed(RPC_TIMEOUT_MESSAGE) from None
        except concurrent.futures.CancelledError:
            raise HostCallFailed("host call cancelled: the host is stopping") from None

    def _wait_s(self, size: int) -> float:
        extra = CHUNK_EXTRA_TIMEOUT_S * 2 if size > CHUNK_THRESHOLD_BYTES else 0.0
        return self._ctx.timeout_ms / 1000 + extra + HOP_MARGIN_S

    def _builtin(self, namespace: str, operation: str, payload: bytes) -> bytes:
        if namespace not in self.caps:
            raise HostCallFailed(missing_claim(namespace))
        try:
            return builtins.handle(self.actor_id, namespace, operation, payload)
        except builtins.BuiltinError as exc:
            raise HostCallFailed(str(exc)) from None

    async def route(self, binding: str, namespace: str, operation: str, payload: bytes) -> bytes:
        """Resolve, check policy, call, publish the result event (runs on the event loop)."""
        shared = self._ctx.shared
        try:
            target = resolve(shared.cache, shared.lattice, self.actor_id, self.caps, binding, namespace)
        except RouteError as exc:
            raise HostCallFailed(str(exc)) from None
        origin = WasmCloudEntity.actor(self.actor_id)
        try:
            await self._check_policy(target)
            result = await shared.rpc.call(origin, target, operation, payload, timeout_ms=self._ctx.timeout_ms)
        except (PolicyDenied, RpcError) as exc:
            await shared.publish_result(False, origin, target, operation, len(payload))
            raise HostCallFailed(_rpc_message(exc)) from None
        await shared.publish_result(True, origin, target, operation, len(payload))
        return result

    async def _check_policy(self, target: WasmCloudEntity) -> None:
        policy = self._ctx.shared.policy
        if policy is None:
            return
        record = self._ctx.shared.cache.claims(target.public_key) or {}
        source = PolicyEntity(self.actor_id, capabilities=tuple(sorted(self.caps)))
        dest = PolicyEntity(target.public_key, target.contract_id, target.link_name, issuer=record.get("iss", ""))
        await policy.check(PolicyAction.PERFORM_INVOCATION, source, dest)


def _rpc_message(exc: Exception) -> str:
    if isinstance(exc, RpcTimeout):
        return RPC_TIMEOUT_MESSAGE
    if isinstance(exc, RemoteError | PolicyDenied):
        return str(exc)
    return f"Failed to perform RPC call: {exc}"
