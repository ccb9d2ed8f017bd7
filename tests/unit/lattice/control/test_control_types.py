"""Control payloads: exact wire field names, round trips, tolerant decoding, typed errors for wrong types."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lattice.control import PayloadError
from lattice.control import types as t
from lattice.wire import LinkDefinition

text = st.text(min_size=1, max_size=20)
str_maps = st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=4)
counts = st.integers(min_value=1, max_value=10_000)

SAMPLES: list[t.JsonPayload] = [
    t.Ack(True, ""),
    t.Ack(False, "nope"),
    t.ActorAuctionRequest("ghcr.io/x/echo:0.1", {"zone": "east"}),
    t.ActorAuctionAck("ghcr.io/x/echo:0.1", "NHOST", {"zone": "east"}),
    t.ProviderAuctionRequest("ghcr.io/x/kv:0.1", "cache", {"a": "b"}),
    t.ProviderAuctionAck("ghcr.io/x/kv:0.1", "cache", "NHOST", {}),
    t.LaunchActorCommand("file:///echo.wasm", 3, {"app": "demo"}, "NHOST"),
    t.StopActorCommand("MACTOR", 2, {"app": "demo"}, "NHOST"),
    t.ScaleActorCommand("ref", 4, "MACTOR", {}, "NHOST"),
    t.ScaleActorCommand("ref", None),
    t.UpdateActorCommand("MACTOR", "ref:2", {}, "NHOST"),
    t.LaunchProviderCommand("ref", "default", '{"port":8080}', {}, "NHOST"),
    t.LaunchProviderCommand("ref"),
    t.StopProviderCommand("VPROV", "default", "wasmcloud:httpserver", {}, "NHOST"),
    t.StopHostCommand("NHOST", 500),
    t.StopHostCommand(),
    t.LinkDeleteRequest("MACTOR", "wasmcloud:keyvalue", "default"),
    t.LabelPutRequest("zone", "west"),
    t.LabelDeleteRequest("zone"),
    t.RegistriesPutRequest({"ghcr.io": t.RegistryCredential("oci", "me", "pw")}),
    t.Host("NHOST", "CISSUER", {"a": "b"}, "calm-fox", 61, "1m 1s", "0.1.0", ("C1", "C2"), None, "h", "h", "h", "x"),
    t.HostInventory(
        "NHOST",
        "C",
        {"a": "b"},
        "calm-fox",
        (t.ActorDescription("MA", "ref", "echo", (t.ActorInstance("i1", 2, {"k": "v"}),)),),
        (t.ProviderDescription("VP", "default", "wasmcloud:keyvalue", "ref", "kv", "i2", 1, {}),),
    ),
    t.ClaimsReply(({"sub": "MA", "caps": "wasmcloud:keyvalue,wasmcloud:httpserver", "rev": "3"},)),
    t.LinksReply((LinkDefinition("MA", "VP", "wasmcloud:keyvalue", "default", {"url": "redis://"}),)),
]


@pytest.mark.parametrize("payload", SAMPLES, ids=lambda p: type(p).__name__)
def test_round_trip_through_bytes(payload: t.JsonPayload) -> None:
    assert type(payload).decode(payload.encode()) == payload


@given(ref=text, count=counts, annotations=str_maps, host=text)
def test_launch_actor_round_trip(ref: str, count: int, annotations: dict[str, str], host: str) -> None:
    cmd = t.LaunchActorCommand(ref, count, annotations, host)
    assert t.LaunchActorCommand.from_json(json.loads(cmd.encode())) == cmd


@given(ref=text, link=text, constraints=str_maps, host=text)
def test_provider_auction_ack_round_trip(ref: str, link: str, constraints: dict[str, str], host: str) -> None:
    ack = t.ProviderAuctionAck(ref, link, host, constraints)
    assert t.ProviderAuctionAck.decode(ack.encode()) == ack


@given(
    labels=str_maps,
    uptime=st.integers(min_value=0, max_value=10**9),
    issuers=st.lists(st.from_regex(r"C[A-Z2-7]{5}", fullmatch=True), max_size=3),
)
def test_host_round_trip(labels: dict[str, str], uptime: int, issuers: list[str]) -> None:
    host = t.Host("NH", labels=labels, uptime_seconds=uptime, cluster_issuers=tuple(issuers))
    assert t.Host.decode(host.encode()) == host


def test_wire_field_names_are_the_protocols() -> None:
    assert set(t.Ack.ok().to_json()) == {"accepted", "error"}
    assert set(SAMPLES[20].to_json()) == {
        "id", "issuer", "labels", "friendly_name", "uptime_seconds", "uptime_human", "version",
        "cluster_issuers", "js_domain", "ctl_host", "prov_rpc_host", "rpc_host", "lattice_prefix",
    }  # fmt: skip
    assert set(t.LaunchActorCommand("r").to_json()) == {"actor_ref", "count", "annotations", "host_id"}
    assert set(t.ScaleActorCommand("r", 2, "MA").to_json()) == {
        "actor_ref",
        "actor_id",
        "count",
        "annotations",
        "host_id",
    }
    assert set(t.UpdateActorCommand("MA", "r").to_json()) == {"actor_id", "new_actor_ref", "annotations", "host_id"}
    assert set(t.StopProviderCommand("VP").to_json()) == {
        "provider_ref", "link_name", "contract_id", "annotations", "host_id",
    }  # fmt: skip
    assert set(t.ProviderAuctionAck("r", "l", "h").to_json()) == {"provider_ref", "link_name", "constraints", "host_id"}
    inventory = SAMPLES[21].to_json()
    assert set(inventory) == {"host_id", "issuer", "labels", "friendly_name", "actors", "providers"}
    assert set(inventory["actors"][0]) == {"id", "image_ref", "name", "instances"}
    assert set(inventory["actors"][0]["instances"][0]) == {"annotations", "instance_id", "revision"}
    assert set(inventory["providers"][0]) == {
        "id", "image_ref", "contract_id", "link_name", "name", "instance_id", "annotations", "revision",
    }  # fmt: skip
    assert t.RegistryCredential("oci", "u").to_json() == {"registryType": "oci", "username": "u"}


def test_cluster_issuers_travel_comma_joined() -> None:
    wire = t.Host("NH", cluster_issuers=("CA", "CB")).to_json()
    assert wire["cluster_issuers"] == "CA,CB"
    assert t.Host.from_json({"id": "NH", "cluster_issuers": ["CA", "CB"]}).cluster_issuers == ("CA", "CB")


def test_otp_050_ping_reply_with_two_fields_decodes() -> None:
    host = t.Host.from_json({"id": "NHOST", "uptime_seconds": 12})
    assert (host.id, host.uptime_seconds, host.labels, host.js_domain) == ("NHOST", 12, {}, None)


def test_unknown_fields_are_ignored() -> None:
    cmd = t.LaunchActorCommand.from_json({"actor_ref": "r", "count": 2, "max_concurrent": 9, "future": {"x": 1}})
    assert cmd == t.LaunchActorCommand("r", 2)


def test_optional_fields_take_their_defaults() -> None:
    assert t.LaunchActorCommand.from_json({"actor_ref": "r"}) == t.LaunchActorCommand("r", 1, {}, "")
    assert t.StopActorCommand.from_json({"actor_ref": "MA"}).count == t.STOP_ALL
    assert t.LaunchProviderCommand.from_json({"provider_ref": "p"}).link_name == "default"
    assert t.ProviderAuctionRequest.from_json({"provider_ref": "p", "link_name": None}).link_name == "default"
    assert t.LaunchActorCommand.from_json({"actor_ref": "r", "annotations": None}).annotations == {}


def test_scale_accepts_otp_050_replicas_string() -> None:
    cmd = t.ScaleActorCommand.from_json({"actor_id": "MA", "actor_ref": "r", "replicas": "5"})
    assert cmd.count == 5


def test_scale_accepts_ctl_030_form_without_actor_id_or_count() -> None:
    cmd = t.ScaleActorCommand.from_json({"actor_ref": "ghcr.io/x/echo:0.2", "host_id": "NH"})
    assert (cmd.actor_id, cmd.actor_ref, cmd.count) == ("", "ghcr.io/x/echo:0.2", None)


def test_empty_body_reads_as_empty_object() -> None:
    assert t.StopHostCommand.decode(b"") == t.StopHostCommand()


def test_launch_provider_keeps_an_object_configuration_as_text() -> None:
    cmd = t.LaunchProviderCommand.from_json({"provider_ref": "p", "configuration": {"port": 8080}})
    assert json.loads(cmd.configuration or "") == {"port": 8080}


@pytest.mark.parametrize(
    ("kind", "body", "names"),
    [
        (t.LaunchActorCommand, {"actor_ref": 7}, "actor_ref"),
        (t.LaunchActorCommand, {"actor_ref": "r", "count": "three"}, "count"),
        (t.LaunchActorCommand, {"actor_ref": "r", "count": True}, "count"),
        (t.LaunchActorCommand, {"actor_ref": "r", "count": -1}, "count"),
        (t.LaunchActorCommand, {"actor_ref": "r", "count": 0}, "count"),
        (t.LaunchActorCommand, {"actor_ref": "r", "annotations": {"a": 1}}, "annotations"),
        (t.LaunchActorCommand, {}, "actor_ref"),
        (t.StopActorCommand, {"actor_ref": ["MA"]}, "actor_ref"),
        (t.ScaleActorCommand, {"count": 2}, "actor_ref"),
        (t.ScaleActorCommand, {"actor_ref": "r", "replicas": "many"}, "replicas"),
        (t.UpdateActorCommand, {"actor_id": "MA"}, "new_actor_ref"),
        (t.LaunchProviderCommand, {"provider_ref": "p", "configuration": 5}, "configuration"),
        (t.StopHostCommand, {"timeout": "soon"}, "timeout"),
        (t.LabelPutRequest, {"key": "k"}, "value"),
        (t.LabelDeleteRequest, {"key": ""}, "key"),
        (t.Ack, {"accepted": "yes"}, "accepted"),
        (t.Host, {"id": "NH", "labels": ["a"]}, "labels"),
        (t.Host, {"id": "NH", "cluster_issuers": 3}, "cluster_issuers"),
        (t.HostInventory, {"host_id": "NH", "actors": {"a": 1}}, "actors"),
        (t.HostInventory, {"host_id": "NH", "actors": [{"id": "MA", "instances": [3]}]}, "instances"),
        (t.ClaimsReply, {"claims": [{"rev": 3}]}, "claims"),
        (t.LinksReply, {"links": [{"actor_id": "MA"}]}, "provider_id"),
        (t.RegistriesPutRequest, {"ghcr.io": {"registryType": "ftp"}}, "registryType"),
        (t.ActorAuctionRequest, {"actor_ref": "r", "constraints": "zone=east"}, "constraints"),
    ],
)
def test_wrong_types_are_typed_errors_naming_the_field(kind: type[t.JsonPayload], body: Any, names: str) -> None:
    with pytest.raises(PayloadError, match=names):
        kind.from_json(body)


@pytest.mark.parametrize("data", [b"{not json", b"\xff\xfe", b"[1, 2]", b'"text"', b"null", b"42"])
def test_garbage_bytes_are_payload_errors(data: bytes) -> None:
    with pytest.raises(PayloadError):
        t.LaunchActorCommand.decode(data)


def test_payload_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="JSON"):
        t.Ack.decode(b"{")


def test_link_from_json_defaults_link_name_and_values() -> None:
    link = t.link_from_json({"actor_id": "MA", "provider_id": "VP", "contract_id": "c"})
    assert (link.link_name, dict(link.values)) == ("default", {})
