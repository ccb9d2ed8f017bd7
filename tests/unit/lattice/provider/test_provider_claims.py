"""The bundled providers' claims.jwt verify and name the right contracts; broken tokens are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from lattice import keys
from lattice.provider import ProviderConfigError
from lattice.provider.claims import load_claims, module_claims

BUNDLED = [
    ("wasmlattice_httpserver", "wasmcloud:httpserver"),
    ("wasmlattice_keyvalue", "wasmcloud:keyvalue"),
    ("wasmlattice_messaging", "wasmcloud:messaging"),
]
EXAMPLES_ACCOUNT = Path(__file__).parents[4] / "actors-examples" / "keys" / "account.nk"


@pytest.mark.parametrize(("module", "capid"), BUNDLED)
def test_bundled_claims_verify(module: str, capid: str) -> None:
    claims = module_claims(module)
    assert claims.metadata.capid == capid
    assert claims.metadata.vendor == "wasmlattice"
    assert keys.is_public_key(claims.subject, keys.KeyType.SERVICE)
    account = keys.KeyPair.from_seed(EXAMPLES_ACCOUNT.read_text().strip(), keys.KeyType.ACCOUNT)
    assert claims.issuer == account.public_key


def test_bundled_providers_have_distinct_keys() -> None:
    assert len({module_claims(m).subject for m, _ in BUNDLED}) == len(BUNDLED)


def test_broken_tokens_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "claims.jwt"
    bad.write_text("a.b.c")
    with pytest.raises(ProviderConfigError, match="are not valid"):
        load_claims(bad)
    with pytest.raises(ProviderConfigError, match="cannot read"):
        load_claims(tmp_path / "missing.jwt")


def test_unknown_modules() -> None:
    with pytest.raises(ProviderConfigError, match="no installed Python module"):
        module_claims("surely_not_installed_anywhere")
