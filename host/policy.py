"""The policy hook (docs/protocol.md §10.3): ask a policy service before starting actors/providers and invoking.

With ``WASMCLOUD_POLICY_TOPIC`` set, the host sends a JSON request ``{requestId, source, target, action, host}`` and
expects ``{permitted, message, requestId}``. No answer in time, or an unusable answer, means **deny** (not cached).
Answers are cached (LRU); a message ``{request_id, permitted, message}`` on the changes topic revises one.

Errors::

    HostError
    └── PolicyDenied        the policy service refused (or did not answer); the message says why
"""

from __future__ import annotations

import enum
import json
import logging
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from host.errors import HostError

DEFAULT_CACHE_SIZE = 10_000

log = logging.getLogger(__name__)


class PolicyDenied(HostError):
    """The policy service denied the action, or could not be asked."""


class PolicyAction(enum.StrEnum):
    START_ACTOR = "start_actor"
    START_PROVIDER = "start_provider"
    PERFORM_INVOCATION = "perform_invocation"


@dataclass(frozen=True)
class PolicySettings:
    topic: str
    timeout_ms: int
    changes_topic: str | None = None
    cache_size: int = DEFAULT_CACHE_SIZE


@dataclass(frozen=True)
class PolicyEntity:
    """The source or target of an action as the policy service sees it."""

    public_key: str
    contract_id: str = ""
    link_name: str = ""
    capabilities: tuple[str, ...] = ()
    issuer: str = ""
    issued_on: str = ""
    expires_at: int | None = None
    expired: bool = False

    def source_json(self) -> dict[str, Any]:
        return {
            "publicKey": self.public_key,
            "contractId": self.contract_id,
            "linkName": self.link_name,
            "capabilities": list(self.capabilities),
            "issuer": self.issuer,
            "issuedOn": self.issued_on,
            "expiresAt": self.expires_at,
            "expired": self.expired,
        }

    def target_json(self) -> dict[str, Any]:
        return {
            "publicKey": self.public_key,
            "contractId": self.contract_id,
            "linkName": self.link_name,
            "issuer": self.issuer,
        }


@dataclass(frozen=True)
class Decision:
    permitted: bool
    message: str
    request_id: str


def parse_decision(data: bytes, request_id: str) -> Decision:
    """A reply of the policy service; anything unusable is a denial that says so."""
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return Decision(False, "policy service reply is not JSON", request_id)
    if not isinstance(body, dict) or not isinstance(body.get("permitted"), bool):
        return Decision(False, "policy service reply lacks a boolean 'permitted'", request_id)
    message = body.get("message")
    return Decision(body["permitted"], message if isinstance(message, str) else "", request_id)


class PolicyClient:
    """Asks the policy service, caching its decisions; see the module docstring."""

    def __init__(self, nc: Any, settings: PolicySettings, host: Callable[[], Mapping[str, Any]]) -> None:
        self._nc = nc
        self.settings = settings
        self._host = host
        self._cache: OrderedDict[str, Decision] = OrderedDict()
        self._by_request: dict[str, str] = {}
        self._sub: Any = None

    async def start(self) -> None:
        if self.settings.changes_topic:
            self._sub = await self._nc.subscribe(self.settings.changes_topic, cb=self._on_change)

    async def stop(self) -> None:
        if self._sub is not None:
            try:
                await self._sub.unsubscribe()
            except Exception as exc:
                log.debug("policy changes unsubscribe failed: %s", exc)
            self._sub = None

    async def check(self, action: PolicyAction, source: PolicyEntity, target: PolicyEntity) -> None:
        """Return when permitted; raise :class:`PolicyDenied` otherwise."""
        decision = await self.evaluate(action, source, target)
        if not decision.permitted:
            reason = decision.message or "no reason given"
            raise PolicyDenied(f"policy denied {action.value} for {source.public_key}: {reason}")

    async def evaluate(self, action: PolicyAction, source: PolicyEntity, target: PolicyEntity) -> Decision:
        key = json.dumps([action.value, source.source_json(), target.target_json()], sort_keys=True)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        request_id = str(uuid.uuid4())
        body = {
            "requestId": request_id,
            "source": source.source_json(),
            "target": target.target_json(),
            "action": action.value,
            "host": dict(self._host()),
        }
        try:
            reply = await self._nc.request(
                self.settings.topic, json.dumps(body).encode(), timeout=self.settings.timeout_ms / 1000
            )
        except Exception as exc:
            log.warning("policy request for %s failed: %s", action.value, type(exc).__name__)
            return Decision(False, "policy service did not answer in time", request_id)
        decision = parse_decision(reply.data, request_id)
        self._remember(key, decision)
        return decision

    def _remember(self, key: str, decision: Decision) -> None:
        self._cache[key] = decision
        self._by_request[decision.request_id] = key
        while len(self._cache) > self.settings.cache_size:
            _, dropped = self._cache.popitem(last=False)
            self._by_request.pop(dropped.request_id, None)

    async def _on_change(self, msg: Any) -> None:
        try:
            body = json.loads(msg.data)
        except (ValueError, UnicodeDecodeError):
            log.warning("ignoring a policy change that is not JSON")
            return
        if not isinstance(body, dict):
            return
        request_id = body.get("request_id") or body.get("requestId")
        permitted = body.get("permitted")
        key = self._by_request.get(request_id) if isinstance(request_id, str) else None
        if key is None or not isinstance(permitted, bool):
            return
        message = body.get("message")
        self._cache[key] = Decision(permitted, message if isinstance(message, str) else "", str(request_id))
