"""Interface types: the exact msgpack field names of docs/protocol.md §9, tolerant decoding, strict types and ranges."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lattice.interfaces import (
    GetResponse,
    HttpRequest,
    HttpResponse,
    IncrementRequest,
    ListAddRequest,
    ListDelRequest,
    ListRangeRequest,
    LogEntry,
    PubMessage,
    RangeLimit,
    ReplyMessage,
    RequestMessage,
    SetAddRequest,
    SetDelRequest,
    SetRequest,
    SubMessage,
    WireStruct,
)
from lattice.wire import MessageMalformed, pack, unpack

WIRE: list[tuple[WireStruct, dict[str, Any]]] = [
    (
        HttpRequest("GET", "/a", "x=1", {"accept": ("a", "b")}, b"body"),
        {"method": "GET", "path": "/a", "queryString": "x=1", "header": {"accept": ["a", "b"]}, "body": b"body"},
    ),
    (HttpResponse(404, {"x": ("1",)}, b"no"), {"statusCode": 404, "header": {"x": ["1"]}, "body": b"no"}),
    (GetResponse("v", True), {"value": "v", "exists": True}),
    (SetRequest("k", "v", 10), {"key": "k", "value": "v", "expires": 10}),
    (IncrementRequest("k", -3), {"key": "k", "value": -3}),
    (ListAddRequest("l", "v"), {"listName": "l", "value": "v"}),
    (ListDelRequest("l", "v"), {"listName": "l", "value": "v"}),
    (ListRangeRequest("l", 1, -1), {"listName": "l", "start": 1, "stop": -1}),
    (SetAddRequest("s", "v"), {"setName": "s", "value": "v"}),
    (SetDelRequest("s", "v"), {"setName": "s", "value": "v"}),
    (PubMessage("a.b", b"x", "r"), {"subject": "a.b", "body": b"x", "replyTo": "r"}),
    (PubMessage("a.b", b"x"), {"subject": "a.b", "body": b"x"}),
    (RequestMessage("a.b", b"x", 500), {"subject": "a.b", "body": b"x", "timeoutMs": 500}),
    (ReplyMessage("a.b", b"x", None), {"subject": "a.b", "body": b"x"}),
    (SubMessage("a.b", b"x", "inbox"), {"subject": "a.b", "body": b"x", "replyTo": "inbox"}),
    (LogEntry("info", "hi"), {"level": "info", "text": "hi"}),
    (RangeLimit(1, 6), {"min": 1, "max": 6}),
]


@pytest.mark.parametrize(("value", "wire"), WIRE, ids=[type(v).__name__ for v, _ in WIRE])
def test_exact_field_names_and_round_trip(value: WireStruct, wire: dict[str, Any]) -> None:
    assert value.to_wire() == wire
    assert unpack(value.encode()) == wire
    assert type(value).decode(value.encode()) == value


def test_bytes_fields_accept_str_and_unknown_keys_are_ignored() -> None:
    body = {"subject": "s", "body": "text body", "replyTo": b"r", "extra": [1, 2]}
    assert PubMessage.decode(pack(body)) == PubMessage("s", b"text body", "r")


def test_missing_fields_take_defaults() -> None:
    assert HttpResponse.decode(pack({})) == HttpResponse(200, {}, b"")
    assert ListRangeRequest.decode(pack({"listName": "l"})) == ListRangeRequest("l", 0, 0)
    assert RangeLimit.decode(pack({})) == RangeLimit(0, 2**32 - 1)


def test_headers_accept_a_bare_string_value() -> None:
    assert HttpRequest.decode(pack({"method": "GET", "path": "/", "header": {"a": "1"}})).header == {"a": ("1",)}


@pytest.mark.parametrize(
    ("cls", "body", "message"),
    [
        (SetRequest, {"key": 1}, r"SetRequest\.key must be a string"),
        (SetRequest, {"key": "k", "expires": -1}, "out of range"),
        (SetRequest, {"key": "k", "expires": True}, "must be an integer"),
        (IncrementRequest, {"key": "k", "value": 2**31}, "out of range"),
        (HttpResponse, {"statusCode": 70000}, "out of range"),
        (HttpRequest, {"header": {"a": 5}}, "must be a list of strings"),
        (HttpRequest, {"header": [1]}, r"HttpRequest\.header must be a map"),
        (GetResponse, {"exists": "yes"}, "must be a boolean"),
        (RequestMessage, {"subject": "s", "body": 3.5}, "must be bytes"),
        (RangeLimit, {"min": -1}, "out of range"),
    ],
)
def test_wrong_types_are_malformed(cls: type[WireStruct], body: dict[str, Any], message: str) -> None:
    with pytest.raises(MessageMalformed, match=message):
        cls.decode(pack(body))


def test_a_non_map_is_malformed() -> None:
    with pytest.raises(MessageMalformed, match="must be a msgpack map"):
        SetRequest.decode(pack(["k", "v"]))


@given(
    st.text(),
    st.text(),
    st.text(),
    st.dictionaries(st.text(), st.lists(st.text(), max_size=3).map(tuple), max_size=4),
    st.binary(),
)
def test_http_request_round_trips(
    method: str, path: str, query: str, header: dict[str, tuple[str, ...]], body: bytes
) -> None:
    request = HttpRequest(method, path, query, header, body)
    assert HttpRequest.decode(request.encode()) == request
