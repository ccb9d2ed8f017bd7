"""Claims parsing under garbage: JWTs and signed wasm modules either parse to the signed claims or raise a
:class:`ClaimsError` — never another exception, and never claims that were not signed."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lattice import keys
from lattice.claims import ActorMetadata, ClaimsError, InvocationMetadata, ProviderMetadata, jwt, validate_module
from lattice.provider.claims import claims_path
from lattice.wire import WasmCloudEntity, antiforgery

ECHO = Path(__file__).resolve().parents[2] / "actors-examples" / "echo" / "echo.wasm"
CLUSTER = keys.KeyPair.create(keys.KeyType.CLUSTER)
INVOCATION_TOKEN = antiforgery.sign(
    WasmCloudEntity.actor("MCALLER"), WasmCloudEntity.actor("MTARGET"), "Op.Do", b"x", CLUSTER, "NHOST"
).encoded_claims
PROVIDER_TOKEN = claims_path("wasmlattice_keyvalue").read_text().strip()
KINDS: list[Any] = [ActorMetadata, ProviderMetadata, InvocationMetadata]
B64 = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/.")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)


def _b64(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _decodes_or_claims_error(token: str, kind: Any) -> Any:
    try:
        return jwt.decode(token, kind)
    except ClaimsError:
        return None


@given(st.text(max_size=300) | st.lists(B64, max_size=300).map("".join))
def test_any_text_is_a_token_or_a_claims_error(token: str) -> None:
    for kind in KINDS:
        assert _decodes_or_claims_error(token, kind) is None  # nothing random is validly signed


@given(header=json_values, body=json_values, signature=st.binary(max_size=80))
def test_any_json_segments_give_a_claims_error(header: Any, body: Any, signature: bytes) -> None:
    token = f"{_b64(header)}.{_b64(body)}.{base64.urlsafe_b64encode(signature).decode().rstrip('=')}"
    for kind in KINDS:
        assert _decodes_or_claims_error(token, kind) is None


@given(body=st.dictionaries(st.sampled_from(["iss", "sub", "iat", "exp", "nbf", "jti", "wascap", "wascap_revision"]),
                            json_values, max_size=8))  # fmt: skip
def test_a_properly_signed_body_of_wrong_types_is_a_claims_error(body: dict[str, Any]) -> None:
    """Signed with the issuer it names, so only the typing of the claims can refuse it."""
    body["iss"] = CLUSTER.public_key
    header = _b64({"typ": "jwt", "alg": "Ed25519"})
    signing_input = f"{header}.{_b64(body)}"
    signature = base64.urlsafe_b64encode(CLUSTER.sign(signing_input.encode())).decode().rstrip("=")
    for kind in KINDS:
        claims = _decodes_or_claims_error(f"{signing_input}.{signature}", kind)
        assert claims is None or claims.issuer == CLUSTER.public_key


@pytest.mark.parametrize(
    ("token", "kind"), [(INVOCATION_TOKEN, InvocationMetadata), (PROVIDER_TOKEN, ProviderMetadata)]
)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_changed_character_never_verifies(token: str, kind: Any, data: st.DataObject) -> None:
    at = data.draw(st.integers(0, len(token) - 1))
    new = data.draw(B64.filter(lambda c: c != token[at]))
    mutated = token[:at] + new + token[at + 1 :]
    claims = _decodes_or_claims_error(mutated, kind)
    if claims is not None:  # base64 slack: only bits that decode to the same bytes may change
        assert claims == jwt.decode(token, kind)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_a_flipped_byte_in_a_real_signed_actor_is_refused_or_harmless(data: st.DataObject) -> None:
    module = ECHO.read_bytes()
    at = data.draw(st.integers(0, len(module) - 1))
    bit = data.draw(st.integers(0, 7))
    mutated = bytearray(module)
    mutated[at] ^= 1 << bit
    try:
        claims = validate_module(bytes(mutated))
    except ClaimsError:
        return
    assert claims == validate_module(module)  # e.g. a bit of base64 padding slack in the token
