"""LatticeCache: links, claims, aliases and refmaps from bucket entries; the claims record (docs/protocol.md §7.2)."""

from __future__ import annotations

import json

import pytest

from host.state import LatticeCache, LinkDeleted, LinkPut, StateMalformed, actor_claims_record, caps_of
from host.state.records import provider_claims_record
from lattice import keys, subjects
from lattice.claims import ActorMetadata, Claims, ProviderMetadata
from lattice.wire import LinkDefinition

ACTOR = keys.KeyPair.create(keys.KeyType.MODULE).public_key
OTHER = keys.KeyPair.create(keys.KeyType.MODULE).public_key
PROVIDER = keys.KeyPair.create(keys.KeyType.SERVICE).public_key
PROVIDER2 = keys.KeyPair.create(keys.KeyType.SERVICE).public_key


def _link(provider: str = PROVIDER, link_name: str = "default") -> LinkDefinition:
    return LinkDefinition(ACTOR, provider, "wasmcloud:keyvalue", link_name, {"URL": "redis://x"})


def _claims_value(pk: str, alias: str = "", caps: str = "") -> bytes:
    return json.dumps({"sub": pk, "call_alias": alias, "caps": caps, "iss": "A", "rev": "3"}).encode()


def test_link_put_then_delete() -> None:
    cache = LatticeCache()
    link = _link()
    key = subjects.linkdef_key(link.id)
    assert cache.apply(key, link.encode_json()) == [LinkPut(link)]
    assert cache.link(ACTOR, "wasmcloud:keyvalue", "default") == link
    assert cache.links_for_provider(PROVIDER, "default") == [link]
    assert cache.apply(key, None) == [LinkDeleted(link)]
    assert cache.link(ACTOR, "wasmcloud:keyvalue", "default") is None
    assert cache.apply(key, None) == []


def test_link_moved_to_another_provider_deletes_the_old_one() -> None:
    cache = LatticeCache()
    old, new = _link(), _link(PROVIDER2)
    key = subjects.linkdef_key(old.id)
    cache.apply(key, old.encode_json())
    assert cache.apply(key, new.encode_json()) == [LinkDeleted(old), LinkPut(new)]
    assert cache.links() == [new]


@pytest.mark.parametrize(
    "value",
    [b"not json", b"[]", b'{"actor_id": "M"}', json.dumps(_link(link_name="a.b").to_wire()).encode()],
)
def test_malformed_links_are_refused(value: bytes) -> None:
    cache = LatticeCache()
    with pytest.raises(StateMalformed):
        cache.apply(subjects.linkdef_key("X"), value)
    assert cache.links() == []


def test_first_call_alias_wins_and_one_letter_aliases_are_ignored() -> None:
    cache = LatticeCache()
    cache.apply(subjects.claims_key(ACTOR), _claims_value(ACTOR, "pinger"))
    cache.apply(subjects.claims_key(OTHER), _claims_value(OTHER, "pinger"))
    cache.apply(subjects.claims_key(OTHER), _claims_value(OTHER, "p"))
    assert cache.resolve_alias("pinger") == ACTOR
    assert cache.resolve_alias("p") is None
    cache.apply(subjects.claims_key(ACTOR), None)
    assert cache.resolve_alias("pinger") is None
    assert cache.claims(ACTOR) is None


def test_claims_and_caps() -> None:
    cache = LatticeCache()
    cache.apply(subjects.claims_key(ACTOR), _claims_value(ACTOR, caps="a:b,c:d"))
    assert cache.caps(ACTOR) == ("a:b", "c:d")
    assert cache.caps(OTHER) == ()
    assert cache.all_claims()[0]["sub"] == ACTOR


def test_refmap() -> None:
    cache = LatticeCache()
    ref = "file:///tmp/echo.wasm"
    cache.apply(subjects.refmap_key(ref), json.dumps({"oci_url": ref, "public_key": ACTOR}).encode())
    assert cache.refmap(ref) == ACTOR
    cache.apply(subjects.refmap_key(ref), None)
    assert cache.refmap(ref) is None


def test_unknown_keys_are_malformed() -> None:
    with pytest.raises(StateMalformed):
        LatticeCache().apply("SOMETHING_ELSE", b"{}")


def test_actor_claims_record_is_a_flat_string_map() -> None:
    meta = ActorMetadata(name="Echo", hash="AB", tags=("t1", "t2"), caps=("wasmcloud:httpserver", "x:y"), ver="1.0")
    claims = Claims("AISSUER", ACTOR, 1700000000, "jti", meta)
    record = actor_claims_record(claims)
    assert record == {
        "call_alias": "",
        "iss": "AISSUER",
        "name": "Echo",
        "caps": "wasmcloud:httpserver,x:y",
        "rev": "1700000000",
        "tags": "t1,t2",
        "version": "1.0",
        "sub": ACTOR,
        "contract_id": "",
    }
    assert caps_of(record) == ("wasmcloud:httpserver", "x:y")


def test_provider_claims_record_carries_the_contract() -> None:
    meta = ProviderMetadata(name="KV", capid="wasmcloud:keyvalue", vendor="acme", rev=4, ver="0.2")
    record = provider_claims_record(Claims("AISSUER", PROVIDER, 1, "jti", meta))
    assert record["contract_id"] == "wasmcloud:keyvalue"
    assert record["rev"] == "4"
    assert all(isinstance(v, str) for v in record.values())
