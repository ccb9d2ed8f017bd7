"""Subjects, buckets and KV keys: literal forms from the protocol, build → parse.

See docs/protocol.md §4.1, §4.6, §5.1, §6, §7.2, §8.
"""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lattice import subjects
from lattice.subjects import CtlOp, KvKind, ProviderChannel, SubjectError

HOST = "NBZ3X7LQ6IO6QMNFAYEUC2L4HIS3KLUSHB4Y7RDNHTZVZMKOIAPN7DA3"
ACTOR = "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5"
PROVIDER = "VAHNM37G4ARHZ3CYHB3L34M6TYQWQR6IZ4QVYC4NYZWTJCJ2LWP7S6Z2"

# docs/protocol.md §5.1, written out: the subject suffix after ``wasmbus.ctl.{lattice}.`` for every operation.
CTL_SUFFIXES = {
    CtlOp.PING_HOSTS: "ping.hosts",
    CtlOp.GET_INVENTORY: f"get.{HOST}.inv",
    CtlOp.GET_CLAIMS: "get.claims",
    CtlOp.GET_LINKS: "get.links",
    CtlOp.LINKDEFS_PUT: "linkdefs.put",
    CtlOp.LINKDEFS_DEL: "linkdefs.del",
    CtlOp.AUCTION_ACTOR: "auction.actor",
    CtlOp.AUCTION_PROVIDER: "auction.provider",
    CtlOp.LAUNCH_ACTOR: f"cmd.{HOST}.la",
    CtlOp.STOP_ACTOR: f"cmd.{HOST}.sa",
    CtlOp.SCALE_ACTOR: f"cmd.{HOST}.scale",
    CtlOp.UPDATE_ACTOR: f"cmd.{HOST}.upd",
    CtlOp.LAUNCH_PROVIDER: f"cmd.{HOST}.lp",
    CtlOp.STOP_PROVIDER: f"cmd.{HOST}.sp",
    CtlOp.STOP_HOST: f"cmd.{HOST}.stop",
    CtlOp.REGISTRIES_PUT: "registries.put",
    CtlOp.LABEL_PUT: f"labels.{HOST}.put",
    CtlOp.LABEL_DEL: f"labels.{HOST}.del",
}

lattices = st.from_regex(r"[a-z0-9][a-z0-9_\-]{0,15}", fullmatch=True)


def nats_match(pattern: str, subject: str) -> bool:
    """NATS wildcard matching: ``*`` is one token, ``>`` one or more trailing tokens."""
    pat, sub = pattern.split("."), subject.split(".")
    for i, token in enumerate(pat):
        if token == ">":
            return len(sub) > i
        if i >= len(sub) or (token != "*" and token != sub[i]):
            return False
    return len(pat) == len(sub)


def test_every_ctl_op_has_a_literal_suffix() -> None:
    assert set(CTL_SUFFIXES) == set(CtlOp)


@pytest.mark.parametrize("op", list(CtlOp))
def test_ctl_subjects_match_the_protocol_and_parse_back(op: CtlOp) -> None:
    host = HOST if op.host_targeted else ""
    subject = subjects.ctl("default", op, host)
    assert subject == f"wasmbus.ctl.default.{CTL_SUFFIXES[op]}"
    assert subjects.parse_ctl(subject, "default") == subjects.CtlSubject(op, host)


@pytest.mark.parametrize("op", list(CtlOp))
def test_ctl_subjects_with_a_custom_prefix_round_trip(op: CtlOp) -> None:
    host = HOST if op.host_targeted else ""
    subject = subjects.ctl("lat-2", op, host, prefix="acme.ctl")
    assert subject.startswith("acme.ctl.lat-2.")
    assert subjects.parse_ctl(subject, "lat-2", prefix="acme.ctl") == subjects.CtlSubject(op, host)


@given(lattice=lattices, op=st.sampled_from(list(CtlOp)))
def test_ctl_build_parse_round_trip_for_any_lattice(lattice: str, op: CtlOp) -> None:
    host = HOST if op.host_targeted else ""
    assert subjects.parse_ctl(subjects.ctl(lattice, op, host), lattice) == subjects.CtlSubject(op, host)


@pytest.mark.parametrize("op", [op for op in CtlOp if op.host_targeted])
def test_host_targeted_op_needs_a_host(op: CtlOp) -> None:
    with pytest.raises(SubjectError, match="host id"):
        subjects.ctl("default", op)


@pytest.mark.parametrize(
    "subject",
    ["wasmbus.ctl.other.ping.hosts", "wasmbus.ctl.default.nope", "wasmbus.ctl.default.cmd.N.unknown", "elsewhere"],
)
def test_unknown_ctl_subjects_are_refused(subject: str) -> None:
    with pytest.raises(SubjectError):
        subjects.parse_ctl(subject, "default")


@pytest.mark.parametrize("op", list(CtlOp))
def test_every_ctl_subject_is_covered_by_a_host_subscription(op: CtlOp) -> None:
    subject = subjects.ctl("default", op, HOST if op.host_targeted else "")
    broadcast, queued = subjects.ctl_lattice_wildcards("default")
    patterns = subjects.ctl_host_wildcards("default", HOST) + broadcast + queued
    assert [p for p in patterns if nats_match(p, subject)], f"{subject} reaches no subscription"


def test_another_hosts_commands_do_not_reach_this_host() -> None:
    other = "N" + HOST[1:-1] + "X"
    subject = subjects.ctl("default", CtlOp.LAUNCH_ACTOR, other)
    assert not [p for p in subjects.ctl_host_wildcards("default", HOST) if nats_match(p, subject)]


def test_ctl_queue_group_is_the_lattice_prefix() -> None:
    assert subjects.ctl_queue("default") == "wasmbus.ctl.default"


# --- RPC -------------------------------------------------------------------------------------------------------------


def test_rpc_subjects_match_the_protocol() -> None:
    assert subjects.actor_rpc("default", ACTOR) == f"wasmbus.rpc.default.{ACTOR}"
    assert subjects.provider_rpc("default", PROVIDER, "default") == f"wasmbus.rpc.default.{PROVIDER}.default"
    assert subjects.rpc_target("default", ACTOR, "") == f"wasmbus.rpc.default.{ACTOR}"
    assert subjects.rpc_target("default", PROVIDER, "backup") == f"wasmbus.rpc.default.{PROVIDER}.backup"
    assert subjects.PROVIDER_QUEUE == "rpc"


@given(lattice=lattices)
def test_actor_rpc_round_trip(lattice: str) -> None:
    assert subjects.parse_rpc(subjects.actor_rpc(lattice, ACTOR)) == subjects.RpcSubject(lattice, ACTOR)


@given(lattice=lattices, link=st.from_regex(r"[a-z][a-z0-9_\-]{0,10}", fullmatch=True))
def test_provider_rpc_round_trip(lattice: str, link: str) -> None:
    subject = subjects.provider_rpc(lattice, PROVIDER, link)
    assert subjects.parse_rpc(subject) == subjects.RpcSubject(lattice, PROVIDER, link)


@pytest.mark.parametrize(
    ("channel", "suffix"),
    [
        (ProviderChannel.LINKDEFS_PUT, "linkdefs.put"),
        (ProviderChannel.LINKDEFS_DEL, "linkdefs.del"),
        (ProviderChannel.HEALTH, "health"),
        (ProviderChannel.SHUTDOWN, "shutdown"),
    ],
)
def test_provider_channels_match_the_protocol_and_round_trip(channel: ProviderChannel, suffix: str) -> None:
    subject = subjects.provider_channel("default", PROVIDER, "default", channel)
    assert subject == f"wasmbus.rpc.default.{PROVIDER}.default.{suffix}"
    assert subjects.parse_rpc(subject) == subjects.RpcSubject("default", PROVIDER, "default", channel)


@pytest.mark.parametrize(
    "subject", ["wasmbus.rpc.default", "wasmbus.ctl.default.x", f"wasmbus.rpc.default.{PROVIDER}.default.nope"]
)
def test_bad_rpc_subjects_are_refused(subject: str) -> None:
    with pytest.raises(SubjectError):
        subjects.parse_rpc(subject)


# --- events, config ---


def test_event_subjects_match_the_protocol() -> None:
    assert subjects.events("default") == "wasmbus.evt.default"
    assert subjects.event("default", "actor_started") == "wasmbus.evt.default.actor_started"
    assert subjects.rpc_events("default") == "wasmbus.rpcevt.default"
    assert subjects.event_type("host_heartbeat") == "com.wasmcloud.lattice.host_heartbeat"
    assert subjects.config_service("default") == "wasmbus.cfg.default.req"
    assert nats_match(subjects.events_wildcard("default"), subjects.event("default", "actor_started"))


# --- JetStream: lattice data and chunks ---


def test_buckets_and_chunk_objects_match_the_protocol() -> None:
    assert subjects.lattice_bucket("default") == "LATTICEDATA_default"
    assert subjects.kv_subject("LATTICEDATA_default", "LINKDEF_AB") == "$KV.LATTICEDATA_default.LINKDEF_AB"
    assert subjects.object_store_bucket("default") == "default"
    assert subjects.chunk_request_object("abc123") == "abc123"
    assert subjects.chunk_response_object("abc123") == "abc123-r"


@given(
    bucket=st.from_regex(r"[A-Za-z0-9_\-]{1,20}", fullmatch=True),
    key=st.from_regex(r"[A-Za-z0-9_\-/=.]{1,40}", fullmatch=True),
)
def test_kv_subjects_parse_back(bucket: str, key: str) -> None:
    assert subjects.parse_kv_subject(subjects.kv_subject(bucket, key)) == (bucket, key)


@pytest.mark.parametrize("subject", ["KV.b.k", "$KV.b", "$KV.b.", "$KV..k", "$KV.b*.k", "wasmbus.rpc.x"])
def test_other_subjects_are_not_kv_subjects(subject: str) -> None:
    with pytest.raises(SubjectError):
        subjects.parse_kv_subject(subject)


def test_kv_streams_match_jetstream() -> None:
    assert subjects.kv_stream("LATTICEDATA_default") == "KV_LATTICEDATA_default"


def test_kv_keys_match_the_protocol_and_parse_back() -> None:
    assert subjects.linkdef_key("AB12") == "LINKDEF_AB12"
    assert subjects.claims_key(ACTOR) == f"CLAIMS_{ACTOR}"
    assert subjects.parse_kv_key("LINKDEF_AB12") == (KvKind.LINKDEF, "AB12")
    assert subjects.parse_kv_key(f"CLAIMS_{ACTOR}") == (KvKind.CLAIMS, ACTOR)


def test_refmap_key_is_base64url_without_padding() -> None:
    ref = "wasmcloud.azurecr.io/echo:0.3.4"
    expected = base64.urlsafe_b64encode(ref.encode()).decode().rstrip("=")
    assert subjects.refmap_key(ref) == f"REFMAP_{expected}"
    assert subjects.parse_kv_key(f"REFMAP_{expected}") == (KvKind.REFMAP, ref)


@given(st.text(min_size=1, max_size=200))
def test_refmap_key_round_trip_and_is_a_valid_kv_key(ref: str) -> None:
    key = subjects.refmap_key(ref)
    assert "=" not in key
    assert all(c.isascii() and (c.isalnum() or c in "_-") for c in key)
    assert subjects.parse_kv_key(key) == (KvKind.REFMAP, ref)


@pytest.mark.parametrize(
    "key", ["UNKNOWN_x", "linkdef_lower", "REFMAP_a", "REFMAP_" + base64.urlsafe_b64encode(b"\xff\xfe").decode()]
)
def test_bad_kv_keys_are_refused(key: str) -> None:
    with pytest.raises(SubjectError):
        subjects.parse_kv_key(key)


@pytest.mark.parametrize("value", ["a.b", "a b", "*", ">", "", "é"])
def test_check_token_refuses_dots_spaces_wildcards(value: str) -> None:
    with pytest.raises(SubjectError):
        subjects.check_token(value, "lattice")


def test_check_token_accepts_a_plain_token() -> None:
    assert subjects.check_token("my-lattice_1", "lattice") == "my-lattice_1"


def test_kv_writes_through_a_jetstream_domain_carry_its_api_prefix() -> None:
    assert subjects.kv_write_subject("LATTICEDATA_x", "CLAIMS_M1") == "$KV.LATTICEDATA_x.CLAIMS_M1"
    assert subjects.kv_write_subject("LATTICEDATA_x", "CLAIMS_M1", "hub") == "$JS.hub.API.$KV.LATTICEDATA_x.CLAIMS_M1"
