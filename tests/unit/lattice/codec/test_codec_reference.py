"""Every payload type encodes to the bytes the hand-written encoders of before produced, and round-trips.

The reference is independent of the codec: the wire map each type had before (written out below, from the old
``to_wire``/``to_json``), encoded by msgpack-python or :mod:`json`. One deliberate difference: the JSON of link
definitions and HostData is now UTF-8 like the control plane's, not ``\\uXXXX``-escaped (the same JSON value).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lattice.codec import JSON, Struct
from lattice.control import replies, requests
from lattice.control import types as t
from lattice.control.events import _CloudEvent
from lattice.interfaces import httpserver, keyvalue, logging, messaging, numbergen
from lattice.wire import HealthCheckResponse, HostData, Invocation, InvocationResponse, LinkDefinition, WasmCloudEntity
from tests.unit.lattice.codec.codec_types import payload_types, struct_strategy

Wire = dict[str, Any]


def _opt(key: str, value: Any, present: bool | None = None) -> Wire:
    return {key: value} if (value is not None if present is None else present) else {}


def _entity(e: WasmCloudEntity) -> Wire:
    return {"public_key": e.public_key, "link_name": e.link_name, "contract_id": e.contract_id}


def _link(ld: LinkDefinition) -> Wire:
    return {
        "id": ld.id,
        "actor_id": ld.actor_id,
        "provider_id": ld.provider_id,
        "link_name": ld.link_name,
        "contract_id": ld.contract_id,
        "values": dict(ld.values),
    }


def _invocation(i: Invocation) -> Wire:
    return {
        "origin": _entity(i.origin),
        "target": _entity(i.target),
        "operation": i.operation,
        "msg": i.msg,
        "id": i.id,
        "encoded_claims": i.encoded_claims,
        "host_id": i.host_id,
        **_opt("content_length", i.content_length),
        **_opt("traceContext", i.trace_context),
    }


def _host_data(h: HostData) -> Wire:
    names = [
        "host_id",
        "lattice_rpc_prefix",
        "link_name",
        "provider_key",
        "invocation_seed",
        "lattice_rpc_url",
        "lattice_rpc_user_jwt",
        "lattice_rpc_user_seed",
        "lattice_rpc_tls",
        "cluster_issuers",
        "env_values",
        "instance_id",
        "link_definitions",
        "config_json",
        "default_rpc_timeout_ms",
        "js_domain",
        "structured_logging",
        "log_level",
        "lattice_rpc_tls_ca",
        "lattice_rpc_creds_file",
        "lattice_rpc_tls_cert",
        "lattice_rpc_tls_key",
    ]
    out = {name: getattr(h, name) for name in names}
    return out | {
        "cluster_issuers": list(h.cluster_issuers),
        "link_definitions": [_link(x) for x in h.link_definitions],
    }


def _message(m: Any) -> Wire:
    return {"subject": m.subject, "body": m.body, **_opt("replyTo", m.reply_to)}


def _command(c: Any, *names: str) -> Wire:
    return {name: getattr(c, name) for name in names} | {"annotations": dict(c.annotations), "host_id": c.host_id}


def _instance(i: replies.ActorInstance) -> Wire:
    return {
        "annotations": i.annotations,
        "instance_id": i.instance_id,
        "revision": i.revision,
        **_opt("image_ref", i.image_ref, bool(i.image_ref)),
        **_opt("max_concurrent", i.max_concurrent),
    }


def _provider(p: replies.ProviderDescription) -> Wire:
    return {
        "id": p.id,
        "image_ref": p.image_ref,
        "contract_id": p.contract_id,
        "link_name": p.link_name,
        "name": p.name,
        "instance_id": p.instance_id,
        "annotations": p.annotations,
        "revision": p.revision,
    }


def _actor(a: replies.ActorDescription) -> Wire:
    return {"id": a.id, "image_ref": a.image_ref, "name": a.name, "instances": [_instance(i) for i in a.instances]}


def _credential(c: requests.RegistryCredential) -> Wire:
    return {
        "registryType": c.registry_type,
        **{k: getattr(c, k) for k in ("username", "password", "token") if getattr(c, k) is not None},
    }


def _host(h: replies.Host) -> Wire:
    names = [
        "id",
        "issuer",
        "labels",
        "friendly_name",
        "uptime_seconds",
        "uptime_human",
        "version",
        "cluster_issuers",
        "js_domain",
        "ctl_host",
        "prov_rpc_host",
        "rpc_host",
        "lattice_prefix",
    ]
    return {name: getattr(h, name) for name in names} | {"cluster_issuers": ",".join(h.cluster_issuers)}


def _fields(*names: str) -> Callable[[Any], Wire]:
    return lambda v: {name: getattr(v, name) for name in names}


REFERENCE: dict[type[Any], Callable[[Any], Wire]] = {
    WasmCloudEntity: _entity,
    Invocation: _invocation,
    InvocationResponse: lambda r: {
        "msg": r.msg,
        "invocation_id": r.invocation_id,
        **_opt("error", r.error),
        **_opt("content_length", r.content_length),
    },
    LinkDefinition: _link,
    HostData: _host_data,
    HealthCheckResponse: lambda h: {"healthy": h.healthy, **_opt("message", h.message)},
    httpserver.HttpRequest: lambda r: {
        "method": r.method,
        "path": r.path,
        "queryString": r.query_string,
        "header": {k: list(v) for k, v in r.header.items()},
        "body": r.body,
    },
    httpserver.HttpResponse: lambda r: {
        "statusCode": r.status_code,
        "header": {k: list(v) for k, v in r.header.items()},
        "body": r.body,
    },
    keyvalue.GetResponse: _fields("value", "exists"),
    keyvalue.SetRequest: _fields("key", "value", "expires"),
    keyvalue.IncrementRequest: _fields("key", "value"),
    keyvalue.ListAddRequest: lambda r: {"listName": r.list_name, "value": r.value},
    keyvalue.ListDelRequest: lambda r: {"listName": r.list_name, "value": r.value},
    keyvalue.ListRangeRequest: lambda r: {"listName": r.list_name, "start": r.start, "stop": r.stop},
    keyvalue.SetAddRequest: lambda r: {"setName": r.set_name, "value": r.value},
    keyvalue.SetDelRequest: lambda r: {"setName": r.set_name, "value": r.value},
    logging.LogEntry: _fields("level", "text"),
    messaging.PubMessage: _message,
    messaging.ReplyMessage: _message,
    messaging.SubMessage: _message,
    messaging.RequestMessage: lambda m: {"subject": m.subject, "body": m.body, "timeoutMs": m.timeout_ms},
    numbergen.RangeLimit: _fields("min", "max"),
    t.LaunchActorCommand: lambda c: _command(c, "actor_ref", "count"),
    t.StopActorCommand: lambda c: _command(c, "actor_ref", "count"),
    t.ScaleActorCommand: lambda c: (
        _command(c, "actor_ref") | _opt("actor_id", c.actor_id, bool(c.actor_id)) | _opt("count", c.count)
    ),
    t.UpdateActorCommand: lambda c: _command(c, "actor_id", "new_actor_ref"),
    t.LaunchProviderCommand: lambda c: (
        _command(c, "provider_ref", "link_name") | _opt("configuration", c.configuration)
    ),
    t.StopProviderCommand: lambda c: _command(c, "provider_ref", "link_name", "contract_id"),
    t.StopHostCommand: lambda c: {"host_id": c.host_id, **_opt("timeout", c.timeout)},
    t.LabelPutRequest: _fields("key", "value"),
    t.LabelDeleteRequest: _fields("key"),
    t.Ack: _fields("accepted", "error"),
    t.ActorAuctionRequest: _fields("actor_ref", "constraints"),
    t.ActorAuctionAck: _fields("actor_ref", "constraints", "host_id"),
    t.ProviderAuctionRequest: _fields("provider_ref", "link_name", "constraints"),
    t.ProviderAuctionAck: _fields("provider_ref", "link_name", "constraints", "host_id"),
    t.LinkDeleteRequest: _fields("actor_id", "contract_id", "link_name"),
    t.RegistryCredential: _credential,
    t.RegistriesPutRequest: lambda r: {server: _credential(c) for server, c in r.credentials.items()},
    t.Host: _host,
    t.ActorInstance: _instance,
    t.ActorDescription: _actor,
    t.ProviderDescription: _provider,
    t.HostInventory: lambda i: {
        "host_id": i.host_id,
        "issuer": i.issuer,
        "labels": i.labels,
        "friendly_name": i.friendly_name,
        "actors": [_actor(a) for a in i.actors],
        "providers": [_provider(p) for p in i.providers],
    },
    t.ClaimsReply: lambda c: {"claims": [dict(x) for x in c.claims]},
    t.LinksReply: lambda r: {"links": [_link(x) for x in r.links]},
    _CloudEvent: _fields("type", "source", "id", "time", "data"),
}
TYPES = payload_types()


def reference_bytes(value: Struct) -> bytes:
    wire = REFERENCE[type(value)](value)
    if value.FORMAT is JSON:
        return json.dumps(wire, separators=(",", ":"), ensure_ascii=False).encode()
    return msgpack.packb(wire, use_bin_type=True)  # type: ignore[no-any-return]


def test_every_payload_type_has_a_reference() -> None:
    assert set(TYPES) == set(REFERENCE)
    assert len(TYPES) >= 45


@pytest.mark.parametrize("cls", TYPES, ids=lambda c: c.__name__)
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_encoding_matches_the_reference_and_round_trips(cls: type[Struct], data: st.DataObject) -> None:
    value = data.draw(struct_strategy(cls))
    encoded = value.encode()
    assert encoded == reference_bytes(value)
    assert type(value).decode(encoded) == value
    assert cls.from_wire(value.to_wire()) == value


@given(struct_strategy(LinkDefinition))
def test_link_definitions_travel_in_both_formats(link: LinkDefinition) -> None:
    wire = REFERENCE[LinkDefinition](link)
    assert link.encode_msgpack() == msgpack.packb(wire, use_bin_type=True)
    assert link.encode_json() == json.dumps(wire, separators=(",", ":"), ensure_ascii=False).encode()
    assert LinkDefinition.decode_json(link.encode_json()) == LinkDefinition.decode_msgpack(link.encode_msgpack())
