"""The CNCF distribution registry (Debian's ``docker-registry``) as a test server on a random loopback port.

``http.addr: 127.0.0.1:0`` lets the kernel pick a free port; the registry logs ``listening on 127.0.0.1:PORT`` once
its listener is bound, and that line is the readiness signal (no sleeps). Modes: plain HTTP, htpasswd (bcrypt)
basic auth, TLS with a test CA made by ``cryptography``, and Bearer token auth against a token service run by the
test (ES256 tokens with an ``x5c`` chain the registry trusts through ``rootcertbundle``).
"""

from __future__ import annotations

import datetime
import ipaddress
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.waiting import WaitTimeout, wait_until_blocking

BINARY = "docker-registry"
DEFAULT_START_TIMEOUT_S = 15.0
POLL_S = 0.01


class RegistryExited(RuntimeError):
    """The registry process ended before it listened."""


_LISTENING = re.compile(r"listening on (?P<addr>[0-9.]+:\d+)")


def find_binary() -> str | None:
    return shutil.which(BINARY) or (f"/usr/bin/{BINARY}" if Path(f"/usr/bin/{BINARY}").is_file() else None)


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    cert: Path
    key: Path


@dataclass(frozen=True)
class TokenAuth:
    realm: str
    service: str
    issuer: str
    rootcertbundle: Path


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def self_signed(key: ec.EllipticCurvePrivateKey, cn: str, *, ca: bool) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


def make_tls(folder: Path) -> TlsFiles:
    """A test CA and a server certificate for 127.0.0.1 and localhost signed by it."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = self_signed(ca_key, "wasmlattice test CA", ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.IPv4Address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    files = TlsFiles(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    files.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
    )
    return files


def write_htpasswd(path: Path, user: str, password: str) -> Path:
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()
    path.write_text(f"{user}:{hashed}\n", encoding="utf-8")
    return path


class RegistryServer:
    """One registry process: ``with RegistryServer(folder, …) as reg: reg.address``."""

    def __init__(
        self,
        folder: Path,
        *,
        htpasswd: Path | None = None,
        tls: TlsFiles | None = None,
        token: TokenAuth | None = None,
        binary: str | None = None,
    ) -> None:
        self.folder = folder
        self.htpasswd = htpasswd
        self.tls = tls
        self.token = token
        self.binary = binary or find_binary()
        self.proc: subprocess.Popen[bytes] | None = None
        self.address = ""

    @property
    def log_path(self) -> Path:
        return self.folder / "registry.log"

    def config(self) -> dict[str, object]:
        http: dict[str, object] = {"addr": "127.0.0.1:0", "secret": "wasmlattice-tests"}
        if self.tls is not None:
            http["tls"] = {"certificate": str(self.tls.cert), "key": str(self.tls.key)}
        config: dict[str, object] = {
            "version": 0.1,
            "log": {"level": "info", "formatter": "text", "accesslog": {"disabled": True}},
            "storage": {"filesystem": {"rootdirectory": str(self.folder / "data")}, "delete": {"enabled": True}},
            "http": http,
        }
        if self.htpasswd is not None:
            config["auth"] = {"htpasswd": {"realm": "wasmlattice-tests", "path": str(self.htpasswd)}}
        if self.token is not None:
            config["auth"] = {
                "token": {
                    "realm": self.token.realm,
                    "service": self.token.service,
                    "issuer": self.token.issuer,
                    "rootcertbundle": str(self.token.rootcertbundle),
                }
            }
        return config

    def start(self, timeout_s: float = DEFAULT_START_TIMEOUT_S) -> None:
        if self.binary is None:
            raise RuntimeError(f"{BINARY} is not installed")
        self.folder.mkdir(parents=True, exist_ok=True)
        conf = self.folder / "config.yml"
        conf.write_text(yaml.safe_dump(self.config()), encoding="utf-8")
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [self.binary, "serve", str(conf)], stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )

        def listening() -> str | None:
            found = _LISTENING.search(self.log_path.read_text(encoding="utf-8", errors="replace"))
            if found is None and self.proc is not None and self.proc.poll() is not None:
                raise RegistryExited(f"{BINARY} exited with status {self.proc.returncode}")
            return found["addr"] if found is not None else None

        try:
            self.address = wait_until_blocking(listening, timeout_s, f"{BINARY} to listen", poll_s=POLL_S)
        except (RegistryExited, WaitTimeout) as exc:
            self.stop()
            raise RuntimeError(
                f"{BINARY} did not start ({exc}):\n{self.log_path.read_text(errors='replace')[-3000:]}"
            ) from None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def __enter__(self) -> RegistryServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
