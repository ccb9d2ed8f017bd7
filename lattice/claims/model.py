"""Claims bodies: the generic JWT fields plus the ``wascap`` metadata of actors, providers and invocations.

Encoding follows wascap's serialisation order exactly (``exp, jti, iat, iss, sub, nbf, wascap, wascap_revision``,
absent options omitted). Decoding accepts wascap's three shapes (docs/protocol.md §2.2): flat 2019 tokens (metadata
at the top level), a ``wascap`` object without revision, and the current one with ``wascap_revision``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

from lattice.claims.errors import TokenMalformed, WrongClaimsKind

WASCAP_REVISION = 3
GENERIC_KEYS = frozenset({"exp", "jti", "iat", "iss", "sub", "nbf", "wascap", "wascap_revision"})


def _str(body: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise TokenMalformed(f"claims lack {key!r}")
        return None
    if not isinstance(value, str):
        raise TokenMalformed(f"claim {key!r} must be a string, got {type(value).__name__}")
    return value


def _int(body: Mapping[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TokenMalformed(f"claim {key!r} must be an integer, got {type(value).__name__}")
    return value


def _str_list(body: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TokenMalformed(f"claim {key!r} must be a list of strings")
    return tuple(value)


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        out[key] = value


def normalize_call_alias(alias: str) -> str:
    """wascap's normalisation: lowercase, trimmed, non-ASCII removed, space, '-' and '.' become '_'."""
    ascii_only = "".join(c for c in alias.strip().lower() if c.isascii())
    return re.sub(r"[ .\-]", "_", ascii_only)


class Metadata(Protocol):
    kind: ClassVar[str]

    def to_json(self) -> dict[str, Any]: ...

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> Self: ...


@dataclass(frozen=True)
class ActorMetadata:
    """``wascap`` of a signed actor module."""

    kind: ClassVar[str] = "actor"
    name: str | None = None
    hash: str = ""
    tags: tuple[str, ...] | None = None
    caps: tuple[str, ...] | None = None
    rev: int | None = None
    ver: str | None = None
    call_alias: str | None = None
    prov: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        _put(out, "name", self.name)
        out["hash"] = self.hash
        _put(out, "tags", None if self.tags is None else list(self.tags))
        _put(out, "caps", None if self.caps is None else list(self.caps))
        _put(out, "rev", self.rev)
        _put(out, "ver", self.ver)
        _put(out, "call_alias", self.call_alias)
        out["prov"] = self.prov
        return out

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> Self:
        if "capid" in body or "target_hashes" in body:
            raise WrongClaimsKind("these are provider claims, not actor claims")
        prov = body.get("prov", False)
        if not isinstance(prov, bool):
            raise TokenMalformed("claim 'prov' must be a boolean")
        return cls(
            name=_str(body, "name"),
            hash=_str(body, "hash") or "",
            tags=_str_list(body, "tags"),
            caps=_str_list(body, "caps"),
            rev=_int(body, "rev"),
            ver=_str(body, "ver"),
            call_alias=_str(body, "call_alias"),
            prov=prov,
        )

    @property
    def capabilities(self) -> tuple[str, ...]:
        return self.caps or ()


@dataclass(frozen=True)
class ProviderMetadata:
    """``wascap`` of a capability provider archive."""

    kind: ClassVar[str] = "provider"
    name: str | None = None
    capid: str = ""
    vendor: str = ""
    rev: int | None = None
    ver: str | None = None
    target_hashes: Mapping[str, str] = field(default_factory=dict)
    config_schema: Any = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        _put(out, "name", self.name)
        out["capid"] = self.capid
        out["vendor"] = self.vendor
        _put(out, "rev", self.rev)
        _put(out, "ver", self.ver)
        out["target_hashes"] = dict(self.target_hashes)
        _put(out, "config_schema", self.config_schema)
        return out

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> Self:
        if "capid" not in body:
            raise WrongClaimsKind("these are not provider claims (no 'capid')")
        hashes = body.get("target_hashes") or {}
        if not isinstance(hashes, dict) or not all(isinstance(v, str) for v in hashes.values()):
            raise TokenMalformed("claim 'target_hashes' must map target names to hashes")
        return cls(
            name=_str(body, "name"),
            capid=_str(body, "capid", required=True) or "",
            vendor=_str(body, "vendor") or "",
            rev=_int(body, "rev"),
            ver=_str(body, "ver"),
            target_hashes=dict(hashes),
            config_schema=body.get("config_schema"),
        )


@dataclass(frozen=True)
class InvocationMetadata:
    """``wascap`` of an invocation's anti-forgery token (docs/protocol.md §4.3)."""

    kind: ClassVar[str] = "invocation"
    target_url: str
    origin_url: str
    hash: str

    def to_json(self) -> dict[str, Any]:
        return {"target_url": self.target_url, "origin_url": self.origin_url, "hash": self.hash}

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> Self:
        return cls(
            target_url=_str(body, "target_url", required=True) or "",
            origin_url=_str(body, "origin_url", required=True) or "",
            hash=_str(body, "hash", required=True) or "",
        )


M = TypeVar("M", ActorMetadata, ProviderMetadata, InvocationMetadata)


@dataclass(frozen=True)
class Claims(Generic[M]):
    """A decoded claims body with typed metadata."""

    issuer: str
    subject: str
    issued_at: int
    id: str
    metadata: M
    expires: int | None = None
    not_before: int | None = None
    wascap_revision: int | None = WASCAP_REVISION

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        _put(out, "exp", self.expires)
        out["jti"] = self.id
        out["iat"] = self.issued_at
        out["iss"] = self.issuer
        out["sub"] = self.subject
        _put(out, "nbf", self.not_before)
        out["wascap"] = self.metadata.to_json()
        _put(out, "wascap_revision", self.wascap_revision)
        return out

    @classmethod
    def from_json(cls, body: Mapping[str, Any], kind: type[M]) -> Claims[M]:
        if not isinstance(body, Mapping):
            raise TokenMalformed("claims are not a JSON object")
        meta_body = body.get("wascap")
        if meta_body is None:
            # flat 2019 shape: metadata beside the generic fields
            meta_body = {k: v for k, v in body.items() if k not in GENERIC_KEYS}
            if not meta_body:
                raise WrongClaimsKind(f"token carries no {kind.kind} metadata")
        if not isinstance(meta_body, Mapping):
            raise TokenMalformed("claim 'wascap' must be an object")
        return cls(
            issuer=_str(body, "iss") or "",
            subject=_str(body, "sub") or "",
            issued_at=_int(body, "iat") or 0,
            id=_str(body, "jti") or "",
            metadata=kind.from_json(meta_body),
            expires=_int(body, "exp"),
            not_before=_int(body, "nbf"),
            wascap_revision=_int(body, "wascap_revision"),
        )


ActorClaims = Claims[ActorMetadata]
ProviderClaims = Claims[ProviderMetadata]
InvocationClaims = Claims[InvocationMetadata]
