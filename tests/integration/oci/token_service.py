"""A Bearer token service for the distribution registry's ``auth: token`` mode, run in a thread by the tests.

It answers ``GET /token?service=…&scope=repository:NAME:ACTIONS`` with ``{"token": JWT}`` when the basic
credentials match (anonymous requests get a token with no access), and 401 otherwise. Tokens are ES256 JWTs whose
``x5c`` header holds a self-signed certificate; the registry trusts it through ``rootcertbundle``.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.integration.oci.registry_server import TokenAuth, self_signed

SERVICE = "wasmlattice-test-registry"
ISSUER = "wasmlattice-test-issuer"
TOKEN_TTL_S = 300


class TokenService:
    def __init__(self, folder: Path, users: dict[str, str]) -> None:
        self.users = users
        self.key = ec.generate_private_key(ec.SECP256R1())
        cert = self_signed(self.key, "wasmlattice token signer", ca=True)
        self.x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
        self.bundle = folder / "token-ca.pem"
        self.bundle.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.requests: list[tuple[str | None, str]] = []  # (user, scope) of every token request
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def auth(self) -> TokenAuth:
        host, port = self._server.server_address[:2]
        return TokenAuth(f"http://{host!s}:{port}/token", SERVICE, ISSUER, self.bundle)

    def issue(self, user: str | None, scope: str) -> str:
        access = []
        if user is not None and scope.count(":") == 2:
            kind, name, actions = scope.split(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": user or "",
            "aud": SERVICE,
            "exp": now + TOKEN_TTL_S,
            "nbf": now - 10,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        return jwt.encode(claims, self.key, algorithm="ES256", headers={"x5c": [self.x5c]})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                scope = (query.get("scope") or [""])[0]
                user = service._user(self.headers.get("Authorization", ""))
                service.requests.append((user if user else None, scope))
                if user is False:
                    self.send_response(401)
                    self.end_headers()
                    return
                body = json.dumps({"token": service.issue(user or None, scope)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler

    def _user(self, header: str) -> str | bool | None:
        """The user of valid basic credentials; None when anonymous; False when the credentials are wrong."""
        if not header.startswith("Basic "):
            return None
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user if self.users.get(user) == password else False

    def __enter__(self) -> TokenService:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
