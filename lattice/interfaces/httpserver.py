"""``wasmcloud:httpserver`` (docs/protocol.md §9.1): the provider calls ``HttpServer.HandleRequest`` on an actor."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from lattice.codec import U16, OneOrMany
from lattice.wire.codec import WireStruct

CONTRACT_ID = "wasmcloud:httpserver"
HANDLE_REQUEST = "HttpServer.HandleRequest"

Headers = Mapping[str, OneOrMany[tuple[str, ...]]]
"""Header name → values; a bare string value arrives as a one-element list."""


class HttpRequest(WireStruct, frozen=True):
    """``{method, path, queryString, header, body}``; ``query_string`` is the raw query without ``?``."""

    method: str
    path: str
    query_string: str = msgspec.field(default="", name="queryString")
    header: Headers = msgspec.field(default_factory=dict)
    body: bytes = b""


class HttpResponse(WireStruct, frozen=True):
    """``{statusCode, header, body}``."""

    status_code: U16 = msgspec.field(default=200, name="statusCode")
    header: Headers = msgspec.field(default_factory=dict)
    body: bytes = b""
