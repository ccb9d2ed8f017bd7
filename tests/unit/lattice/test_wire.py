"""Wire types: round trips, exact bytes, tolerant decoding, only MessageMalformed.

See docs/protocol.md §4.2, §4.4, §7.1, §7.4, §8.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
from typing import Any

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lattice.errors import LatticeError
from lattice.wire import (
    HEALTH_REQUEST,
    HealthCheckResponse,
    HostData,
    Invocation,
    InvocationResponse,
    LinkDefinition,
    MessageMalformed,
    WasmCloudEntity,
    WireError,
    link_id,
)

ACTOR = WasmCloudEntity.actor("MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5")
PROVIDER = WasmCloudEntity.provider(
    "VAHNM37G4ARHZ3CYHB3L34M6TYQWQR6IZ4QVYC4NYZWTJCJ2LWP7S6Z2", "wasmcloud:httpserver", "default"
)
INVOCATION_KEYS = ["origin", "target", "operation", "msg", "id", "encoded_claims", "host_id"]

text = st.text(max_size=24)
word = st.text(min_size=1, max_size=24)
entities = st.builds(WasmCloudEntity, text, text, text)
trace = st.none() | st.dictionaries(text, text, max_size=3)
invocations = st.builds(
    Invocation,
    origin=entities,
    target=entities,
    operation=text,
    msg=st.binary(max_size=2048),
    id=text,
    encoded_claims=text,
    host_id=text,
    content_length=st.none() | st.integers(min_value=0, max_value=2**64 - 1),
    trace_context=trace,
)
responses = st.builds(
    InvocationResponse,
    invocation_id=text,
    msg=st.binary(max_size=2048),
    error=st.none() | text,
    content_length=st.none() | st.integers(min_value=0, max_value=2**64 - 1),
)
linkdefs = st.builds(
    LinkDefinition,
    actor_id=word,
    provider_id=word,
    contract_id=word,
    link_name=word,
    values=st.dictionaries(text, text, max_size=4),
)
hostdata = st.builds(
    HostData,
    host_id=word,
    lattice_rpc_prefix=word,
    link_name=word,
    provider_key=word,
    invocation_seed=text,
    lattice_rpc_url=text,
    lattice_rpc_user_jwt=text,
    lattice_rpc_user_seed=text,
    lattice_rpc_tls=st.booleans(),
    cluster_issuers=st.lists(word, max_size=3).map(tuple),
    env_values=st.dictionaries(text, text, max_size=3),
    instance_id=text,
    link_definitions=st.lists(linkdefs, max_size=3).map(tuple),
    config_json=st.none() | text,
    default_rpc_timeout_ms=st.integers(min_value=0, max_value=2**31),
    js_domain=st.none() | text,
    structured_logging=st.booleans(),
    log_level=st.none() | text,
    lattice_rpc_tls_ca=text,
    lattice_rpc_creds_file=text,
)
# any msgpack value (no floats: NaN breaks equality, and no field is a float)
msgpack_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64 - 1) | text | st.binary(max_size=16),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)


def _invocation(msg: bytes = b"hello", **changes: Any) -> Invocation:
    fields: dict[str, Any] = {
        "origin": ACTOR,
        "target": PROVIDER,
        "operation": "HttpServer.HandleRequest",
        "msg": msg,
        "id": "0f1e2d3c",
        "encoded_claims": "a.b.c",
        "host_id": "NHOST",
    }
    return Invocation(**(fields | changes))


def _wire(**changes: Any) -> dict[str, Any]:
    return _invocation().to_wire() | changes


# --- round trips -----------------------------------------------------------------------------------------------------


@given(invocations)
def test_invocation_round_trip(inv: Invocation) -> None:
    back = Invocation.decode(inv.encode())
    assert back == inv
    assert back.trace_context == (None if inv.trace_context is None else dict(inv.trace_context))


@given(responses)
def test_invocation_response_round_trip(response: InvocationResponse) -> None:
    assert InvocationResponse.decode(response.encode()) == response


@given(linkdefs)
def test_link_definition_round_trip_msgpack_and_json(link: LinkDefinition) -> None:
    assert LinkDefinition.decode_msgpack(link.encode_msgpack()) == link
    assert LinkDefinition.decode_json(link.encode_json()) == link
    assert msgpack.unpackb(link.encode_msgpack())["id"] == link.id


@given(hostdata)
def test_host_data_round_trip_through_one_base64_line(data: HostData) -> None:
    line = data.encode_line()
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1
    assert HostData.decode_line(line) == data
    assert HostData.decode_line(line.decode()) == data


@given(st.booleans(), st.none() | text)
def test_health_check_response_round_trip(healthy: bool, message: str | None) -> None:
    response = HealthCheckResponse(healthy, message)
    assert HealthCheckResponse.decode(response.encode()) == response


def test_health_request_is_the_placeholder_map() -> None:
    expected = bytes([0x81, 0xAB]) + b"placeholder" + bytes([0xC3])
    assert expected == HEALTH_REQUEST


# --- exact encoding --------------------------------------------------------------------------------------------------


def _fixstr(value: str) -> bytes:
    raw = value.encode()
    assert len(raw) < 32
    return bytes([0xA0 | len(raw)]) + raw


def _fixmap(pairs: list[tuple[str, bytes]]) -> bytes:
    return bytes([0x80 | len(pairs)]) + b"".join(_fixstr(k) + v for k, v in pairs)


def test_invocation_bytes_written_by_hand() -> None:
    origin = WasmCloudEntity.actor("MA")
    target = WasmCloudEntity.provider("VB", "wasmcloud:kv", "default")
    inv = Invocation(origin, target, "Op", b"\x01\x02", "id1", "h.c.s", "NH", content_length=2)
    expected = _fixmap(
        [
            (
                "origin",
                _fixmap([("public_key", _fixstr("MA")), ("link_name", _fixstr("")), ("contract_id", _fixstr(""))]),
            ),
            (
                "target",
                _fixmap(
                    [
                        ("public_key", _fixstr("VB")),
                        ("link_name", _fixstr("default")),
                        ("contract_id", _fixstr("wasmcloud:kv")),
                    ]
                ),
            ),
            ("operation", _fixstr("Op")),
            ("msg", b"\xc4\x02\x01\x02"),
            ("id", _fixstr("id1")),
            ("encoded_claims", _fixstr("h.c.s")),
            ("host_id", _fixstr("NH")),
            ("content_length", b"\x02"),
        ]
    )
    assert inv.encode() == expected


def test_invocation_response_bytes_written_by_hand() -> None:
    ok = InvocationResponse("id1", b"\xff", content_length=1)
    assert ok.encode() == _fixmap(
        [("msg", b"\xc4\x01\xff"), ("invocation_id", _fixstr("id1")), ("content_length", b"\x01")]
    )
    failed = InvocationResponse.failure("id1", "boom")
    assert failed.encode() == _fixmap(
        [("msg", b"\xc4\x00"), ("invocation_id", _fixstr("id1")), ("error", _fixstr("boom"))]
    )


def test_invocation_key_order_with_optional_fields() -> None:
    inv = _invocation(content_length=5, trace_context={"traceparent": "00-x"})
    assert list(msgpack.unpackb(inv.encode())) == [*INVOCATION_KEYS, "content_length", "traceContext"]
    assert list(msgpack.unpackb(_invocation().encode())) == INVOCATION_KEYS


@pytest.mark.parametrize(("size", "marker"), [(0, 0xC4), (255, 0xC4), (256, 0xC5), (65_535, 0xC5), (65_536, 0xC6)])
def test_msg_is_msgpack_bin(size: int, marker: int) -> None:
    for encoded in (_invocation(bytes(size)).encode(), InvocationResponse("i", bytes(size)).encode()):
        at = encoded.index(b"\xa3msg") + 4
        assert encoded[at] == marker
        width = {0xC4: 1, 0xC5: 2, 0xC6: 4}[marker]
        assert int.from_bytes(encoded[at + 1 : at + 1 + width], "big") == size


# --- tolerant decoding -----------------------------------------------------------------------------------------------


def test_msg_sent_as_str_is_accepted() -> None:
    raw = msgpack.packb(_wire(msg="payload from Msgpax"), use_bin_type=True)
    assert Invocation.decode(raw).msg == b"payload from Msgpax"
    reply = msgpack.packb({"msg": "ok", "invocation_id": "x"}, use_bin_type=True)
    assert InvocationResponse.decode(reply).msg == b"ok"


def test_strings_sent_as_bin_are_accepted() -> None:
    raw = msgpack.packb(_wire(operation=b"Op.Name", id=b"abc"), use_bin_type=True)
    decoded = Invocation.decode(raw)
    assert (decoded.operation, decoded.id) == ("Op.Name", "abc")


def test_unknown_keys_are_ignored() -> None:
    raw = msgpack.packb(_wire(instance_id="guid", future={"x": [1, 2]}), use_bin_type=True)
    assert Invocation.decode(raw) == _invocation()
    reply = msgpack.packb({"msg": b"r", "invocation_id": "x", "instance_id": "guid"}, use_bin_type=True)
    assert InvocationResponse.decode(reply) == InvocationResponse("x", b"r")


def test_otp_error_reply_with_msg_as_an_empty_array() -> None:
    reply = msgpack.packb({"msg": [], "error": "actor is not running", "invocation_id": "x"}, use_bin_type=True)
    decoded = InvocationResponse.decode(reply)
    assert decoded == InvocationResponse("x", b"", "actor is not running")
    assert not decoded.ok
    assert not decoded.is_chunked


def test_nil_entity_fields_and_missing_content_length() -> None:
    origin = {"public_key": "MA", "link_name": None, "contract_id": None}
    decoded = Invocation.decode(msgpack.packb(_wire(origin=origin), use_bin_type=True))
    assert decoded.origin == WasmCloudEntity("MA")
    assert decoded.content_length is None
    assert not decoded.is_chunked


def test_chunked_flags() -> None:
    assert _invocation(b"", content_length=10).is_chunked
    assert not _invocation(b"0123456789", content_length=10).is_chunked
    assert InvocationResponse("x", b"", content_length=10).is_chunked
    assert not InvocationResponse("x", b"", "err", content_length=10).is_chunked


# --- malformed input: MessageMalformed and nothing else --------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xc1",  # never used in msgpack
        b"\x93\x01\x02\x03",  # an array
        b"\xa5hello",  # a string
        b"\x2a",  # an int
        b"\x81\xa3msg",  # truncated map
        msgpack.packb(_wire()) + b"\x00",  # trailing bytes
        b"\xdd\xff\xff\xff\xff",  # array claiming 4 G entries
    ],
)
def test_malformed_bytes(data: bytes) -> None:
    with pytest.raises(MessageMalformed):
        Invocation.decode(data)
    with pytest.raises(MessageMalformed):
        InvocationResponse.decode(data)


@pytest.mark.parametrize(
    "changes",
    [
        {"operation": 5},
        {"msg": 5},
        {"msg": {"a": 1}},
        {"msg": [1, 300]},
        {"origin": "MA"},
        {"target": None},
        {"origin": {"public_key": 1}},
        {"content_length": -1},
        {"content_length": "10"},
        {"content_length": True},
        {"traceContext": ["x"]},
        {"traceContext": {"k": 1}},
        {"operation": b"\xff\xfe"},
        {"id": [1]},
    ],
)
def test_wrong_field_types(changes: dict[str, Any]) -> None:
    with pytest.raises(MessageMalformed):
        Invocation.decode(msgpack.packb(_wire(**changes), use_bin_type=True))


def test_non_bytes_and_oversized_input() -> None:
    with pytest.raises(MessageMalformed):
        Invocation.decode("not bytes")  # type: ignore[arg-type]
    with pytest.raises(MessageMalformed, match="exceeds"):
        Invocation.decode(_invocation(bytes(2000)).encode(), max_bytes=1000)


@given(st.binary(max_size=512))
def test_fuzz_any_bytes_decode_or_raise_message_malformed(data: bytes) -> None:
    for decode in (
        Invocation.decode,
        InvocationResponse.decode,
        LinkDefinition.decode_msgpack,
        HealthCheckResponse.decode,
    ):
        with contextlib.suppress(MessageMalformed):
            decode(data)


@given(st.dictionaries(st.sampled_from([*INVOCATION_KEYS, "content_length", "traceContext"]) | text, msgpack_values))
def test_fuzz_any_map_decodes_or_raises_message_malformed(body: dict[str, Any]) -> None:
    data = msgpack.packb(body, use_bin_type=True)
    with contextlib.suppress(MessageMalformed):
        Invocation.decode(data)
    with contextlib.suppress(MessageMalformed):
        InvocationResponse.decode(data)


@given(invocations, st.data())
def test_fuzz_one_field_replaced_by_any_value(inv: Invocation, data: st.DataObject) -> None:
    wire = inv.to_wire()
    key = data.draw(st.sampled_from(sorted(wire)))
    wire[key] = data.draw(msgpack_values)
    with contextlib.suppress(MessageMalformed):
        Invocation.decode(msgpack.packb(wire, use_bin_type=True))


def test_message_malformed_is_a_wire_and_lattice_error() -> None:
    assert issubclass(MessageMalformed, WireError)
    assert issubclass(WireError, LatticeError)


# --- LinkDefinition --------------------------------------------------------------------------------------------------


def test_link_id_is_sha256_of_the_concatenated_triple() -> None:
    actor, contract, link = ACTOR.public_key, "wasmcloud:keyvalue", "default"
    expected = hashlib.sha256(f"{actor}{contract}{link}".encode()).hexdigest().upper()
    assert link_id(actor, contract, link) == expected
    ld = LinkDefinition(actor, PROVIDER.public_key, contract, link, {"URL": "redis://127.0.0.1:6379"})
    assert ld.id == expected
    assert len(expected) == 64
    assert expected == expected.upper()


def test_link_definition_wire_form() -> None:
    ld = LinkDefinition(ACTOR.public_key, PROVIDER.public_key, "wasmcloud:keyvalue", values={"k": "v"})
    body = json.loads(ld.encode_json())
    assert list(body) == ["id", "actor_id", "provider_id", "link_name", "contract_id", "values"]
    assert body["link_name"] == "default"
    assert msgpack.unpackb(ld.encode_msgpack()) == body


def test_link_definition_defaults_the_link_name() -> None:
    body = {"actor_id": "MA", "provider_id": "VB", "contract_id": "c", "values": {}}
    assert LinkDefinition.decode_json(json.dumps(body)).link_name == "default"


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"[1]",
        json.dumps({"actor_id": "MA", "provider_id": "VB"}).encode(),
        json.dumps({"actor_id": "MA", "provider_id": "VB", "contract_id": "c", "values": {"k": 1}}).encode(),
        json.dumps({"actor_id": 1, "provider_id": "VB", "contract_id": "c"}).encode(),
        b"\xff\xfe",
    ],
)
def test_malformed_link_definitions(data: bytes) -> None:
    with pytest.raises(MessageMalformed):
        LinkDefinition.decode_json(data)


# --- HostData --------------------------------------------------------------------------------------------------------


def _host_data() -> HostData:
    return HostData(
        host_id="NHOST",
        lattice_rpc_prefix="default",
        link_name="default",
        provider_key=PROVIDER.public_key,
        invocation_seed="SCSEED",
        cluster_issuers=("CKEY1", "CKEY2"),
        link_definitions=(LinkDefinition(ACTOR.public_key, PROVIDER.public_key, "wasmcloud:httpserver"),),
        config_json='{"port": 8080}',
    )


def test_host_data_line_is_standard_padded_base64_json() -> None:
    line = _host_data().encode_line()
    body = json.loads(base64.b64decode(line.strip(), validate=True))
    assert body["host_id"] == "NHOST"
    assert body["cluster_issuers"] == ["CKEY1", "CKEY2"]
    assert body["invocation_seed"] == "SCSEED"
    assert body["link_definitions"][0]["contract_id"] == "wasmcloud:httpserver"
    assert body["env_values"] == {}
    assert body["default_rpc_timeout_ms"] == 2000
    assert len(line.strip()) % 4 == 0


def test_host_data_from_a_wasmbus_rpc_style_line_with_extra_fields() -> None:
    body = _host_data().to_json() | {"otel_config": {"x": 1}, "unknown": True}
    line = base64.b64encode(json.dumps(body).encode()) + b"\n"
    assert HostData.decode_line(line) == _host_data()


@pytest.mark.parametrize(
    "line",
    [
        b"not base64!\n",
        base64.b64encode(b"not json") + b"\n",
        base64.b64encode(b"[1, 2]") + b"\n",
        base64.b64encode(json.dumps({"host_id": "N"}).encode()) + b"\n",
        base64.b64encode(json.dumps(_host_data().to_json() | {"host_id": 5}).encode()) + b"\n",
        base64.b64encode(json.dumps(_host_data().to_json() | {"link_definitions": [{"x": 1}]}).encode()) + b"\n",
    ],
)
def test_malformed_host_data(line: bytes) -> None:
    with pytest.raises(MessageMalformed):
        HostData.decode_line(line)


def test_host_data_null_fields_take_their_defaults() -> None:
    nulls = dict.fromkeys(["js_domain", "lattice_rpc_user_jwt", "env_values", "cluster_issuers", "link_definitions"])
    data = HostData.from_json(_host_data().to_json() | nulls)
    assert (data.js_domain, data.lattice_rpc_user_jwt, data.env_values) == (None, "", {})
    assert (data.cluster_issuers, data.link_definitions) == ((), ())


@pytest.mark.parametrize(
    "changes",
    [
        {"cluster_issuers": "CKEY1"},
        {"cluster_issuers": [1]},
        {"default_rpc_timeout_ms": "2000"},
        {"lattice_rpc_tls": "yes"},
        {"env_values": ["a"]},
        {"config_json": 5},
    ],
)
def test_host_data_fields_of_the_wrong_type(changes: dict[str, Any]) -> None:
    with pytest.raises(MessageMalformed):
        HostData.from_json(_host_data().to_json() | changes)


# --- health ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [{}, {"healthy": "yes"}, {"healthy": True, "message": 5}])
def test_malformed_health_check_response(body: dict[str, Any]) -> None:
    with pytest.raises(MessageMalformed):
        HealthCheckResponse.decode(msgpack.packb(body))
