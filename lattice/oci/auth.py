"""Registry authentication: ``WWW-Authenticate`` challenges answered with basic auth or a Bearer token.

The distribution protocol's token flow: a request answered 401 carries ``Bearer realm="…",service="…",scope="…"``;
the client asks the realm for a token (with basic credentials when it has them, anonymously otherwise) and repeats
the request with ``Authorization: Bearer <token>``. A ``Basic realm="…"`` challenge is answered with the user name
and password. Secrets never appear in errors or logs.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field

from lattice.oci.settings import Credentials

_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


@dataclass(frozen=True)
class Challenge:
    scheme: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def realm(self) -> str:
        return self.params.get("realm", "")


def parse_challenge(header: str) -> Challenge | None:
    """The first challenge of a ``WWW-Authenticate`` header (``Bearer`` or ``Basic``); None when absent."""
    text = header.strip()
    if not text:
        return None
    scheme, _, rest = text.partition(" ")
    params = {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3) for m in _PARAM.finditer(rest)}
    return Challenge(scheme.strip().lower(), params)


def basic_header(creds: Credentials) -> str:
    raw = f"{creds.username or ''}:{creds.password or ''}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


class AuthState:
    """What a client has learnt per registry: whether it wants basic auth, and the last Bearer token."""

    def __init__(self) -> None:
        self._basic: set[str] = set()
        self._tokens: dict[str, str] = {}

    def header(self, registry: str, creds: Credentials | None) -> dict[str, str]:
        if creds is not None and creds.token:
            return {"Authorization": f"Bearer {creds.token}"}
        if registry in self._tokens:
            return {"Authorization": f"Bearer {self._tokens[registry]}"}
        if registry in self._basic and creds is not None:
            return {"Authorization": basic_header(creds)}
        return {}

    def use_basic(self, registry: str) -> None:
        self._basic.add(registry)

    def set_token(self, registry: str, token: str) -> None:
        self._tokens[registry] = token

    def forget(self, registry: str) -> None:
        self._basic.discard(registry)
        self._tokens.pop(registry, None)
