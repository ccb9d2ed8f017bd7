"""Real nats-servers with authentication: nkey users, operator/JWT mode, and mutual TLS.

Fixtures: ``nkey_user`` / ``nkey_server``, ``jwt_user`` / ``operator_server``, ``tls_files`` / ``tls_server``.
The JWTs are minted here (``ed25519-nkey`` signed, as ``nsc`` does) and the certificates made with cryptography.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lattice.keys import KeyPair, KeyType
from lattice.natsserver import NatsServer, NatsServerConfig

CERT_LIFETIME = datetime.timedelta(hours=1)
UNLIMITED = -1


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def nats_jwt(issuer: KeyPair, subject: str, name: str, nats: dict[str, Any]) -> str:
    """A NATS JWT (header ``ed25519-nkey``) for ``subject``, signed by ``issuer``."""
    header = {"typ": "JWT", "alg": "ed25519-nkey"}
    claims = {"jti": _b64url(subject.encode() + str(time.time_ns()).encode()), "iat": int(time.time())}
    claims |= {"iss": issuer.public_key, "sub": subject, "name": name, "nats": {**nats, "version": 2}}
    signing_input = ".".join(_b64url(json.dumps(part).encode()) for part in (header, claims))
    return f"{signing_input}.{_b64url(issuer.sign(signing_input.encode()))}"


def _start(tmp_path: Path, config_text: str) -> NatsServer:
    config_file = tmp_path / "nats.conf"
    config_file.write_text(config_text, encoding="utf-8")
    server = NatsServer(NatsServerConfig(store_dir=tmp_path, jetstream=False, config_file=config_file))
    server.start()
    return server


@pytest.fixture
def nkey_user() -> KeyPair:
    return KeyPair.create(KeyType.USER)


@pytest.fixture
def nkey_server(tmp_path: Path, nkey_user: KeyPair) -> Iterator[NatsServer]:
    """A server whose only user is ``nkey_user`` (bare nkey authentication)."""
    server = _start(tmp_path, f'authorization {{ users = [ {{ nkey: "{nkey_user.public_key}" }} ] }}\n')
    yield server
    server.stop()


@dataclass(frozen=True)
class JwtUser:
    seed: str
    jwt: str


@dataclass(frozen=True)
class OperatorTrust:
    operator_jwt: str
    account: KeyPair
    account_jwt: str
    user: JwtUser


def _operator_trust() -> OperatorTrust:
    operator, account, user = (KeyPair.create(kind) for kind in (KeyType.OPERATOR, KeyType.ACCOUNT, KeyType.USER))
    limits = {"subs": UNLIMITED, "data": UNLIMITED, "payload": UNLIMITED, "conn": UNLIMITED}
    return OperatorTrust(
        operator_jwt=nats_jwt(operator, operator.public_key, "test-operator", {"type": "operator"}),
        account=account,
        account_jwt=nats_jwt(operator, account.public_key, "test-account", {"type": "account", "limits": limits}),
        user=JwtUser(user.seed, nats_jwt(account, user.public_key, "test-user", {"type": "user", **limits})),
    )


@pytest.fixture
def operator_trust() -> OperatorTrust:
    return _operator_trust()


@pytest.fixture
def jwt_user(operator_trust: OperatorTrust) -> JwtUser:
    return operator_trust.user


@pytest.fixture
def operator_server(tmp_path: Path, operator_trust: OperatorTrust) -> Iterator[NatsServer]:
    """A server in operator mode trusting one account, whose user is ``jwt_user``."""
    operator_file = tmp_path / "operator.jwt"
    operator_file.write_text(operator_trust.operator_jwt, encoding="ascii")
    server = _start(
        tmp_path,
        f'operator: "{operator_file}"\nresolver: MEMORY\n'
        f'resolver_preload: {{ {operator_trust.account.public_key}: "{operator_trust.account_jwt}" }}\n',
    )
    yield server
    server.stop()


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _write_pem(path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> tuple[Path, Path]:
    path.with_suffix(".crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.with_suffix(".key").write_bytes(key_pem)
    return path.with_suffix(".crt"), path.with_suffix(".key")


def _certificate(
    name: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate | None, signer: ec.EllipticCurvePrivateKey
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer is not None else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + CERT_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if issuer is not None:
        san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        builder = builder.add_extension(san, critical=False)
    return builder.sign(signer, hashes.SHA256())


@pytest.fixture
def tls_files(tmp_path: Path) -> TlsFiles:
    """A throw-away CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _certificate("wasmlattice test CA", ca_key, None, ca_key)
    ca, _ = _write_pem(tmp_path / "ca", ca_cert, ca_key)
    pems = []
    for name in ("server", "client"):
        key = ec.generate_private_key(ec.SECP256R1())
        pems.append(_write_pem(tmp_path / name, _certificate(name, key, ca_cert, ca_key), key))
    (server_cert, server_key), (client_cert, client_key) = pems
    return TlsFiles(ca, server_cert, server_key, client_cert, client_key)


@pytest.fixture
def tls_server(tmp_path: Path, tls_files: TlsFiles) -> Iterator[NatsServer]:
    """A server that requires TLS and a client certificate signed by the test CA."""
    server = _start(
        tmp_path,
        f'tls {{ cert_file: "{tls_files.server_cert}", key_file: "{tls_files.server_key}", '
        f'ca_file: "{tls_files.ca}", verify: true }}\n',
    )
    yield server
    server.stop()
