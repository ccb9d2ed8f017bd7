"""Signing, extracting and validating the claims of actor modules (docs/protocol.md §2.3, §2.4)."""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from lattice import keys
from lattice.claims import jwt, wasm
from lattice.claims.errors import ModuleHashMismatch, ModuleUnsigned, TokenMalformed
from lattice.claims.model import ActorClaims, ActorMetadata, Claims, normalize_call_alias


@dataclass(frozen=True)
class ActorSpec:
    """What to put into an actor's claims."""

    name: str
    caps: Sequence[str] = ()
    tags: Sequence[str] = ()
    rev: int | None = None
    ver: str | None = None
    call_alias: str | None = None
    expires_in_s: int | None = None
    not_before_in_s: int | None = None


def sign_module(
    module: bytes,
    spec: ActorSpec,
    issuer: keys.KeyPair,
    subject: keys.KeyPair | None = None,
    now: int | None = None,
) -> tuple[bytes, ActorClaims]:
    """Embed fresh actor claims into ``module``; returns the signed module and its claims.

    A new module key is made when ``subject`` is None; the issuer must be an account key.
    """
    if issuer.kind is not keys.KeyType.ACCOUNT:
        raise keys.BadPrefixError("actors are signed by an account key (SA… seed)")
    if subject is None:
        subject = keys.KeyPair.create(keys.KeyType.MODULE)
    if subject.kind is not keys.KeyType.MODULE:
        raise keys.BadPrefixError("an actor's subject is a module key (M…)")
    now = int(time.time()) if now is None else now
    meta = ActorMetadata(
        name=spec.name,
        hash=wasm.module_hash(module),
        tags=tuple(spec.tags),
        caps=tuple(spec.caps),
        rev=spec.rev,
        ver=spec.ver,
        call_alias=normalize_call_alias(spec.call_alias) if spec.call_alias else None,
    )
    claims = Claims(
        issuer=issuer.public_key,
        subject=subject.public_key,
        issued_at=now,
        id=jwt.nuid(),
        metadata=meta,
        expires=None if spec.expires_in_s is None else now + spec.expires_in_s,
        not_before=None if spec.not_before_in_s is None else now + spec.not_before_in_s,
    )
    return wasm.embed_token(module, jwt.encode(claims, issuer)), claims


def read_claims(module: bytes, *, verify: bool = True) -> ActorClaims:
    """The claims embedded in a module, signature checked (unless ``verify`` is False); no hash or time checks."""
    token = wasm.find_token(module)
    if token is None:
        raise ModuleUnsigned("module is not signed: it has no wasmcloud_jwt or jwt section")
    return jwt.decode(token, ActorMetadata, verify=verify)


def check_hash(module: bytes, claims: ActorClaims) -> None:
    """Raise :class:`ModuleHashMismatch` when the module does not hash to its claims' ``hash``.

    Enforced for every claims shape (see docs/adr/0002-claims-and-signing.md): raw byte removal reproduced the hash of
    every real signed module examined, including wascap 0.9 ones.
    """
    actual = wasm.module_hash(module)
    if actual != claims.metadata.hash.upper():
        raise ModuleHashMismatch(
            f"module hash {actual[:12]}… does not match its claims ({claims.metadata.hash[:12]}…): "
            "the module was altered after signing"
        )


def validate_module(
    module: bytes, *, now: int | None = None, allowed_issuers: Collection[str] | None = None
) -> ActorClaims:
    """Everything a host checks before running an actor: signature, subject, hash, times, issuer."""
    claims = read_claims(module)
    if not keys.is_public_key(claims.subject, keys.KeyType.MODULE):
        raise TokenMalformed(f"actor claims subject {claims.subject[:12]}… is not a module key")
    check_hash(module, claims)
    jwt.check_times(claims, now)
    jwt.check_issuer(claims, allowed_issuers)
    return effective_revision(claims)


def effective_revision(claims: ActorClaims) -> ActorClaims:
    """OTP's rule: a missing or zero ``rev`` is replaced by ``iat``."""
    if claims.metadata.rev:
        return claims
    return replace(claims, metadata=replace(claims.metadata, rev=claims.issued_at))
