"""wascap-compatible claims: JWTs, actor/provider/invocation metadata, tokens embedded in wasm modules."""

from lattice.claims.actor import ActorSpec, check_hash, read_claims, sign_module, validate_module
from lattice.claims.errors import (
    ClaimsError,
    IssuerNotAllowed,
    ModuleHashMismatch,
    ModuleMalformed,
    ModuleUnsigned,
    SignatureInvalid,
    TokenExpired,
    TokenHeaderInvalid,
    TokenMalformed,
    TokenNotYetValid,
    WrongClaimsKind,
)
from lattice.claims.model import (
    ActorClaims,
    ActorMetadata,
    Claims,
    InvocationClaims,
    InvocationMetadata,
    ProviderClaims,
    ProviderMetadata,
    normalize_call_alias,
)

__all__ = [
    "ActorClaims",
    "ActorMetadata",
    "ActorSpec",
    "Claims",
    "ClaimsError",
    "InvocationClaims",
    "InvocationMetadata",
    "IssuerNotAllowed",
    "ModuleHashMismatch",
    "ModuleMalformed",
    "ModuleUnsigned",
    "ProviderClaims",
    "ProviderMetadata",
    "SignatureInvalid",
    "TokenExpired",
    "TokenHeaderInvalid",
    "TokenMalformed",
    "TokenNotYetValid",
    "WrongClaimsKind",
    "check_hash",
    "normalize_call_alias",
    "read_claims",
    "sign_module",
    "validate_module",
]
