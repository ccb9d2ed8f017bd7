"""Errors of claims, tokens and signed modules.

Tree::

    LatticeError
    └── ClaimsError                 claims cannot be trusted or read
        ├── TokenMalformed          not three base64url segments of JSON, or fields of the wrong type
        ├── TokenHeaderInvalid      header is not {"typ":"jwt","alg":"Ed25519"}
        ├── SignatureInvalid        the Ed25519 signature does not verify with the issuer's key
        ├── TokenExpired            exp is in the past
        ├── TokenNotYetValid        nbf is in the future
        ├── IssuerNotAllowed        the issuer is not in the allow-list
        ├── WrongClaimsKind         e.g. provider claims where actor claims were expected
        ├── ModuleMalformed         not a wasm module (bad magic, truncated section …)
        ├── ModuleUnsigned          the module carries no jwt / wasmcloud_jwt section
        └── ModuleHashMismatch      the module was altered after signing
"""

from __future__ import annotations

from lattice.errors import LatticeError


class ClaimsError(LatticeError):
    """Claims cannot be trusted or read."""


class TokenMalformed(ClaimsError):
    """The token is not three base64url segments of JSON, or a field has the wrong type."""


class TokenHeaderInvalid(ClaimsError):
    """The header is not {"typ":"jwt","alg":"Ed25519"}."""


class SignatureInvalid(ClaimsError):
    """The signature does not verify with the issuer's key."""


class TokenExpired(ClaimsError):
    """The token's ``exp`` is in the past."""


class TokenNotYetValid(ClaimsError):
    """The token's ``nbf`` is in the future."""


class IssuerNotAllowed(ClaimsError):
    """The token's issuer is not in the allow-list."""


class WrongClaimsKind(ClaimsError):
    """The token carries claims of another kind than expected."""


class ModuleMalformed(ClaimsError):
    """The bytes are not a well-formed wasm module."""


class ModuleUnsigned(ClaimsError):
    """The module carries no embedded token."""


class ModuleHashMismatch(ClaimsError):
    """The module's hash differs from the hash in its claims: it was altered after signing."""
