"""Anti-forgery: sign an invocation with the cluster seed, and check one on arrival (docs/protocol.md §4.3).

The hash is uppercase-hex SHA-256 of ``origin_url ‖ target_url ‖ operation ‖ msg`` where
``target_url = target.url() + "/" + operation``; the token is ``Claims<Invocation>`` with ``sub`` = invocation id.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Collection

from lattice import keys
from lattice.claims import jwt
from lattice.claims.errors import ClaimsError
from lattice.claims.model import Claims, InvocationClaims, InvocationMetadata
from lattice.wire.entity import WasmCloudEntity
from lattice.wire.errors import BadInvocationToken, InvocationTampered, UnknownIssuer, WrongTarget
from lattice.wire.invocation import Invocation


def target_url(target: WasmCloudEntity, operation: str) -> str:
    return f"{target.url()}/{operation}"


def invocation_hash(origin: WasmCloudEntity, target: WasmCloudEntity, operation: str, msg: bytes) -> str:
    return _hash(origin.url(), target_url(target, operation), operation, msg)


def _hash(origin_url: str, to_url: str, operation: str, msg: bytes) -> str:
    """:func:`invocation_hash` from URLs already made (validation compares them first)."""
    digest = hashlib.sha256(f"{origin_url}{to_url}{operation}".encode())
    digest.update(msg)
    return digest.hexdigest().upper()


def new_invocation_id() -> str:
    """wasmbus-rpc's form: UUIDv4 as 32 lowercase hex digits."""
    return uuid.uuid4().hex


def sign(
    origin: WasmCloudEntity,
    target: WasmCloudEntity,
    operation: str,
    msg: bytes,
    cluster_key: keys.KeyPair,
    host_id: str,
    *,
    invocation_id: str | None = None,
    chunked: bool = False,
    now: int | None = None,
) -> Invocation:
    """A signed invocation carrying ``msg`` (or, when ``chunked``, announcing it by ``content_length`` only)."""
    inv_id = invocation_id or new_invocation_id()
    origin_url, to_url = origin.url(), target_url(target, operation)
    claims = Claims(
        issuer=cluster_key.public_key,
        subject=inv_id,
        issued_at=int(time.time()) if now is None else now,
        id=jwt.nuid(),
        metadata=InvocationMetadata(
            target_url=to_url, origin_url=origin_url, hash=_hash(origin_url, to_url, operation, msg)
        ),
    )
    return Invocation(
        origin=origin,
        target=target,
        operation=operation,
        msg=b"" if chunked else msg,
        id=inv_id,
        encoded_claims=jwt.encode(claims, cluster_key),
        host_id=host_id,
        content_length=len(msg),
    )


def validate(
    inv: Invocation,
    cluster_issuers: Collection[str],
    *,
    full_msg: bytes | None = None,
    now: int | None = None,
) -> InvocationClaims:
    """Check an invocation's token against its contents; ``full_msg`` is the de-chunked payload when chunked.

    The URLs are compared before the hash (which covers them too), so a token replayed to another target, origin or
    operation is reported as :class:`WrongTarget` and only a changed payload as :class:`InvocationTampered`.
    """
    try:
        claims = jwt.decode(inv.encoded_claims, InvocationMetadata)
        jwt.check_times(claims, now)
    except ClaimsError as exc:
        raise BadInvocationToken(f"invocation token rejected: {exc}") from exc
    if not inv.host_id.startswith("N") and len(inv.host_id) != keys.PUBLIC_KEY_LENGTH:
        raise BadInvocationToken(f"invocation host id {inv.host_id[:12]!r} is not a host or cluster key")
    if claims.issuer not in cluster_issuers:
        raise UnknownIssuer(f"invocation signed by {claims.issuer}, which is not a trusted cluster issuer")
    to_url, origin_url = target_url(inv.target, inv.operation), inv.origin.url()
    if claims.metadata.target_url != to_url:
        raise WrongTarget("invocation token was issued for another target or operation")
    if claims.metadata.origin_url != origin_url:
        raise WrongTarget("invocation token was issued for another origin")
    if claims.subject != inv.id:
        raise WrongTarget("invocation token was issued for another invocation id")
    msg = inv.msg if full_msg is None else full_msg
    if msg or not inv.is_chunked:
        expected = _hash(origin_url, to_url, inv.operation, msg)
        if claims.metadata.hash != expected:
            raise InvocationTampered("invocation hash does not match its contents: the payload was altered")
    return claims
