"""Provider claims shipped as package data: ``claims.jwt`` beside a provider package's ``__init__.py``.

See docs/protocol.md §8.2.

The token is a wascap ``Claims<CapabilityProvider>`` signed by the issuing account, with subject = the provider's
``V…`` service key. Python providers carry no binary, so ``target_hashes`` is empty for them.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from lattice import keys
from lattice.claims import ClaimsError, ProviderClaims, ProviderMetadata
from lattice.claims import jwt as claims_jwt
from lattice.provider.errors import ProviderConfigError

CLAIMS_FILE = "claims.jwt"


def package_dir(module: str) -> Path:
    """The directory of the package that holds ``module`` (found without importing the module itself)."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError) as exc:
        raise ProviderConfigError(f"cannot find Python module {module!r}: {exc}") from exc
    if spec is None or spec.origin is None:
        raise ProviderConfigError(f"no installed Python module {module!r}")
    return Path(spec.origin).parent


def claims_path(module: str) -> Path:
    return package_dir(module) / CLAIMS_FILE


def load_claims(path: Path) -> ProviderClaims:
    """Read and verify a provider claims token (signature and validity times)."""
    try:
        token = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ProviderConfigError(f"cannot read provider claims {path}: {exc}") from exc
    try:
        claims = claims_jwt.decode(token, ProviderMetadata)
        claims_jwt.check_times(claims)
    except ClaimsError as exc:
        raise ProviderConfigError(f"provider claims {path} are not valid: {exc}") from exc
    if not keys.is_public_key(claims.subject, keys.KeyType.SERVICE):
        raise ProviderConfigError(f"provider claims {path} name subject {claims.subject[:12]!r}, not a V… service key")
    return claims


def module_claims(module: str) -> ProviderClaims:
    return load_claims(claims_path(module))
