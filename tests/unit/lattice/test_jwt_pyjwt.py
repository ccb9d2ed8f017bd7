"""Our hand-written JWS matches PyJWT's: tokens we sign verify under PyJWT (Ed25519 registered), and vice versa.

PyJWT works on ``cryptography``'s keys (OpenSSL), made here from the raw key bytes: an implementation of Ed25519
independent of the one we sign and verify with (PyNaCl).
"""

from __future__ import annotations

import json

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm

from lattice import keys
from lattice.claims import ActorMetadata, Claims, SignatureInvalid
from lattice.claims import jwt as our_jwt


@pytest.fixture
def pyjws() -> jwt.PyJWS:
    jws = jwt.PyJWS(algorithms=[])
    jws.register_algorithm("Ed25519", OKPAlgorithm())
    return jws


def _claims(issuer: keys.KeyPair) -> Claims[ActorMetadata]:
    subject = keys.KeyPair.create(keys.KeyType.MODULE).public_key
    return Claims(issuer.public_key, subject, 1_700_000_000, "jti", ActorMetadata(name="x", hash="AB", caps=("a:b",)))


def test_our_token_verifies_with_pyjwt(pyjws: jwt.PyJWS) -> None:
    account = keys.KeyPair.create(keys.KeyType.ACCOUNT)
    token = our_jwt.encode(_claims(account), account)
    openssl_key = Ed25519PublicKey.from_public_bytes(keys.decode_public(account.public_key)[1])
    decoded = pyjws.decode_complete(token, openssl_key, algorithms=["Ed25519"])
    assert decoded["header"] == {"typ": "jwt", "alg": "Ed25519"}
    assert json.loads(decoded["payload"])["wascap"]["caps"] == ["a:b"]


def test_pyjwt_token_verifies_with_ours(pyjws: jwt.PyJWS) -> None:
    account = keys.KeyPair.create(keys.KeyType.ACCOUNT)
    payload = json.dumps(_claims(account).to_json()).encode()
    openssl_key = Ed25519PrivateKey.from_private_bytes(keys.decode_seed(account.seed)[1])
    token = pyjws.encode(payload, openssl_key, algorithm="Ed25519", headers={"typ": "jwt"}, sort_headers=False)
    assert our_jwt.decode(token, ActorMetadata).metadata.caps == ("a:b",)


def test_signature_of_another_key_is_refused() -> None:
    account, other = keys.KeyPair.create(keys.KeyType.ACCOUNT), keys.KeyPair.create(keys.KeyType.ACCOUNT)
    header, body, good_sig = our_jwt.encode(_claims(account), account).split(".")
    other_sig = our_jwt._b64encode(other.sign(f"{header}.{body}".encode()))
    assert our_jwt.decode(f"{header}.{body}.{good_sig}", ActorMetadata).issuer == account.public_key
    with pytest.raises(SignatureInvalid):
        our_jwt.decode(f"{header}.{body}.{other_sig}", ActorMetadata)
    with pytest.raises(SignatureInvalid, match="64"):
        our_jwt.decode(f"{header}.{body}.AAAA", ActorMetadata)
