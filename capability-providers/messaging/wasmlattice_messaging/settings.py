"""Messaging settings of one link, parsed once (docs/protocol.md §9.3).

Link values (keys case-insensitive): ``SUBSCRIPTION`` (comma list of ``subject`` or ``subject|queue``), ``URI``
(comma list of NATS servers; default: the lattice's own NATS from HostData), ``CLIENT_JWT`` + ``CLIENT_SEED``,
``TLS_CA`` (PEM text) or ``TLS_CA_FILE``, or ``config_json`` / ``config_b64`` with ``{subscriptions,
cluster_uris, auth_jwt, auth_seed, tls_ca, tls_ca_file, ping_interval_sec}``. Top-level values override the JSON.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lattice.provider import LinkValues, ProviderConfigError

MAX_CONCURRENT_PER_SUBSCRIPTION = 75
DEFAULT_PING_INTERVAL_S = 120
NATS_SCHEMES = ("nats://", "tls://", "ws://", "wss://")
_SUBJECT = re.compile(r"^[^\s]+$")


@dataclass(frozen=True)
class Subscription:
    subject: str
    queue: str = ""

    @classmethod
    def parse(cls, text: str) -> Subscription:
        subject, _, queue = text.strip().partition("|")
        subject, queue = subject.strip(), queue.strip()
        if not _SUBJECT.match(subject) or ".." in subject or subject.startswith(".") or subject.endswith("."):
            raise ProviderConfigError(f"subscription {text!r} is not a NATS subject")
        if queue and not _SUBJECT.match(queue):
            raise ProviderConfigError(f"subscription {text!r} has a bad queue group name")
        return cls(subject, queue)


@dataclass(frozen=True)
class MessagingSettings:
    subscriptions: tuple[Subscription, ...] = ()
    uris: tuple[str, ...] = ()
    jwt: str | None = None
    seed: str | None = None
    tls_ca: str | None = None
    tls_ca_file: Path | None = None
    ping_interval_s: int = DEFAULT_PING_INTERVAL_S

    @classmethod
    def parse(cls, values: LinkValues) -> MessagingSettings:
        body = _config(values)
        overrides = {
            "subscriptions": values.get("subscription"),
            "cluster_uris": values.get("uri"),
            "auth_jwt": values.get("client_jwt"),
            "auth_seed": values.get("client_seed"),
            "tls_ca": values.get("tls_ca"),
            "tls_ca_file": values.get("tls_ca_file"),
        }
        body |= {k: v for k, v in overrides.items() if v}
        jwt, seed = _opt_str(body, "auth_jwt"), _opt_str(body, "auth_seed")
        if jwt and not seed:
            raise ProviderConfigError("CLIENT_JWT needs CLIENT_SEED (the JWT's user seed) to sign the server's nonce")
        return cls(
            subscriptions=tuple(Subscription.parse(s) for s in _list(body.get("subscriptions"), "subscriptions")),
            uris=tuple(_uri(u) for u in _list(body.get("cluster_uris"), "cluster_uris")),
            jwt=jwt,
            seed=seed,
            tls_ca=_opt_str(body, "tls_ca"),
            tls_ca_file=Path(body["tls_ca_file"]) if body.get("tls_ca_file") else None,
            ping_interval_s=_ping(body.get("ping_interval_sec", DEFAULT_PING_INTERVAL_S)),
        )


def _config(values: LinkValues) -> dict[str, Any]:
    text = values.get("config_json")
    if text is None and "config_b64" in values:
        try:
            text = base64.b64decode(values["config_b64"], validate=True).decode()
        except (binascii.Error, ValueError) as exc:
            raise ProviderConfigError(f"config_b64 is not base64 of UTF-8 JSON: {exc}") from exc
    if not text:
        return {}
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise ProviderConfigError(f"config_json is not JSON: {exc}") from exc
    if not isinstance(body, Mapping):
        raise ProviderConfigError("config_json must be a JSON object")
    return {str(k).lower(): v for k, v in body.items()}


def _list(value: Any, what: str) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v for v in (p.strip() for p in value.split(",")) if v]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    raise ProviderConfigError(f"{what} must be a comma-separated string or a list of strings")


def _opt_str(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ProviderConfigError(f"{key} must be a string")
    return value


def _uri(text: str) -> str:
    return text if text.startswith(NATS_SCHEMES) else f"nats://{text}"


def _ping(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ProviderConfigError("ping_interval_sec must be an integer")
    try:
        seconds = int(value)
    except ValueError:
        raise ProviderConfigError(f"ping_interval_sec {value!r} is not an integer") from None
    if seconds < 1:
        raise ProviderConfigError("ping_interval_sec must be at least 1")
    return seconds
