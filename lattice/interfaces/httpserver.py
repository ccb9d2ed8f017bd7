"""``wasmcloud:httpserver`` (docs/protocol.md §9.1): the provider calls ``HttpServer.HandleRequest`` on an actor."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self

from lattice.interfaces._fields import (
    U16_MAX,
    WireStruct,
    as_map,
    get_bytes,
    get_headers,
    get_int,
    get_str,
    headers_to_wire,
)

CONTRACT_ID = "wasmcloud:httpserver"
HANDLE_REQUEST = "HttpServer.HandleRequest"

Headers = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class HttpRequest(WireStruct):
    """``{method, path, queryString, header, body}``; ``query_string`` is the raw query without ``?``."""

    method: str
    path: str
    query_string: str = ""
    header: Headers = field(default_factory=dict)
    body: bytes = b""

    def to_wire(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "queryString": self.query_string,
            "header": headers_to_wire(self.header),
            "body": bytes(self.body),
        }

    @classmethod
    def from_wire(cls, body: Any) -> Self:
        what = "HttpRequest"
        m = as_map(body, what)
        return cls(
            method=get_str(m, "method", what),
            path=get_str(m, "path", what),
            query_string=get_str(m, "queryString", what),
            header=get_headers(m, "header", what),
            body=get_bytes(m, "body", what),
        )


@dataclass(frozen=True)
class HttpResponse(WireStruct):
    """``{statusCode, header, body}``."""

    status_code: int = 200
    header: Headers = field(default_factory=dict)
    body: bytes = b""

    def to_wire(self) -> dict[str, Any]:
        return {"statusCode": self.status_code, "header": headers_to_wire(self.header), "body": bytes(self.body)}

    @classmethod
    def from_wire(cls, body: Any) -> Self:
        what = "HttpResponse"
        m = as_map(body, what)
        return cls(
            status_code=get_int(m, "statusCode", what, 0, U16_MAX, default=200),
            header=get_headers(m, "header", what),
            body=get_bytes(m, "body", what),
        )
