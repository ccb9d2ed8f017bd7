"""Key-value settings: the provider's ``config_json`` (defaults) and each link's values, parsed once.

Provider ``config_json``: ``{"backend": "jetstream"|"redis", "url": "redis://…", "timeout_ms": 2000, "replicas": 1}``.
Link values (keys case-insensitive): ``BACKEND``, ``URL`` (a Redis URL; implies ``BACKEND=redis``), ``BUCKET``
(JetStream bucket; default ``wasmlattice_{actor_id}``), ``REPLICAS`` (JetStream replicas of a bucket the provider
creates; an existing bucket keeps its own), ``TIMEOUT_MS``.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass

from lattice.provider import LinkValues, ProviderConfigError

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/"
DEFAULT_TIMEOUT_MS = 2000
MAX_TIMEOUT_MS = 600_000
DEFAULT_REPLICAS = 1
MAX_REPLICAS = 5  # JetStream's limit for a stream
DEFAULT_BUCKET_PREFIX = "wasmlattice_"
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
_BUCKET = re.compile(r"^[A-Za-z0-9_-]{1,200}$")


class Backend(enum.StrEnum):
    JETSTREAM = "jetstream"
    REDIS = "redis"

    @classmethod
    def parse(cls, text: str, what: str) -> Backend:
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise ProviderConfigError(f"{what} {text!r} is not one of: jetstream, redis") from None


def redact(url: str) -> str:
    """A URL without its password, for messages."""
    return re.sub(r"//([^:@/]*):[^@/]*@", r"//\1:***@", url)


def check_redis_url(url: str, what: str) -> str:
    if not url.startswith(REDIS_SCHEMES):
        raise ProviderConfigError(f"{what} {redact(url)!r} is not a Redis URL (redis://, rediss:// or unix://)")
    return url


@dataclass(frozen=True)
class ProviderDefaults:
    backend: Backend = Backend.JETSTREAM
    redis_url: str = DEFAULT_REDIS_URL
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    replicas: int = DEFAULT_REPLICAS

    @classmethod
    def parse(cls, config_json: str | None) -> ProviderDefaults:
        if not config_json or not config_json.strip():
            return cls()
        try:
            body = json.loads(config_json)
        except ValueError as exc:
            raise ProviderConfigError(f"provider config_json is not JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise ProviderConfigError("provider config_json must be a JSON object")
        values = LinkValues({k: str(v) for k, v in body.items() if v is not None})
        url = values.get("url")
        backend = values.get("backend")
        return cls(
            backend=Backend.parse(backend, "config_json backend")
            if backend
            else (Backend.REDIS if url else cls.backend),
            redis_url=check_redis_url(url, "config_json url") if url else DEFAULT_REDIS_URL,
            timeout_ms=values.get_int("timeout_ms", DEFAULT_TIMEOUT_MS, low=1, high=MAX_TIMEOUT_MS),
            replicas=values.get_int("replicas", DEFAULT_REPLICAS, low=1, high=MAX_REPLICAS),
        )


@dataclass(frozen=True)
class LinkSettings:
    backend: Backend
    bucket: str
    redis_url: str
    timeout_ms: int
    replicas: int = DEFAULT_REPLICAS

    @property
    def timeout_s(self) -> float:
        return self.timeout_ms / 1000

    @classmethod
    def parse(cls, values: LinkValues, actor_id: str, defaults: ProviderDefaults) -> LinkSettings:
        url = values.get("url")
        backend_text = values.get("backend")
        if backend_text:
            backend = Backend.parse(backend_text, "link value BACKEND")
        else:
            backend = Backend.REDIS if url else defaults.backend
        bucket = values.get("bucket") or f"{DEFAULT_BUCKET_PREFIX}{actor_id}"
        if not _BUCKET.match(bucket):
            raise ProviderConfigError(f"link value BUCKET {bucket!r} may hold only letters, digits, '_' and '-'")
        return cls(
            backend=backend,
            bucket=bucket,
            redis_url=check_redis_url(url, "link value URL") if url else defaults.redis_url,
            timeout_ms=values.get_int("timeout_ms", defaults.timeout_ms, low=1, high=MAX_TIMEOUT_MS),
            replicas=values.get_int("replicas", defaults.replicas, low=1, high=MAX_REPLICAS),
        )
