"""NATS credentials for test servers: user JWTs minted like ``nsc`` does, and throw-away TLS certificates.

Used by the integration tests (one server per kind of authentication) and the security tests (locked-down servers
that also run JetStream).
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lattice.keys import KeyPair

CERT_LIFETIME = datetime.timedelta(hours=1)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def nats_jwt(issuer: KeyPair, subject: str, name: str, nats: dict[str, Any]) -> str:
    """A NATS JWT (header ``ed25519-nkey``) for ``subject``, signed by ``issuer``."""
    header = {"typ": "JWT", "alg": "ed25519-nkey"}
    claims = {"jti": b64url(subject.encode() + str(time.time_ns()).encode()), "iat": int(time.time())}
    claims |= {"iss": issuer.public_key, "sub": subject, "name": name, "nats": {**nats, "version": 2}}
    signing_input = ".".join(b64url(json.dumps(part).encode()) for part in (header, claims))
    return f"{signing_input}.{b64url(issuer.sign(signing_input.encode()))}"


@dataclass(frozen=True)
class JwtUser:
    seed: str
    jwt: str


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def write_pem(path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> tuple[Path, Path]:
    path.with_suffix(".crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.with_suffix(".key").write_bytes(key_pem)
    return path.with_suffix(".crt"), path.with_suffix(".key")


def certificate(
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


def make_tls_files(directory: Path, ca_name: str = "wasmlattice test CA") -> TlsFiles:
    """A throw-away CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = certificate(ca_name, ca_key, None, ca_key)
    ca, _ = write_pem(directory / "ca", ca_cert, ca_key)
    pems = []
    for name in ("server", "client"):
        key = ec.generate_private_key(ec.SECP256R1())
        pems.append(write_pem(directory / name, certificate(name, key, ca_cert, ca_key), key))
    (server_cert, server_key), (client_cert, client_key) = pems
    return TlsFiles(ca, server_cert, server_key, client_cert, client_key)
