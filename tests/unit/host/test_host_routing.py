"""Outbound routing order and messages (docs/protocol.md §1.5): link, actor key, call alias, nothing."""

from __future__ import annotations

import json

import pytest

from host.invocations import RouteError, resolve
from host.state import LatticeCache
from lattice import keys, subjects
from lattice.wire import LinkDefinition, WasmCloudEntity

ACTOR = keys.KeyPair.create(keys.KeyType.MODULE).public_key
TARGET = keys.KeyPair.create(keys.KeyType.MODULE).public_key
PROVIDER = keys.KeyPair.create(keys.KeyType.SERVICE).public_key
KV = "wasmcloud:keyvalue"


@pytest.fixture
def cache() -> LatticeCache:
    cache = LatticeCache()
    link = LinkDefinition(ACTOR, PROVIDER, KV, "default")
    cache.apply(subjects.linkdef_key(link.id), link.encode_json())
    claims = {"sub": TARGET, "call_alias": "ponger"}
    cache.apply(subjects.claims_key(TARGET), json.dumps(claims).encode())
    return cache


def test_linked_contract_with_claim_goes_to_the_provider(cache: LatticeCache) -> None:
    target = resolve(cache, "lat", ACTOR, {KV}, "default", KV)
    assert target == WasmCloudEntity.provider(PROVIDER, KV, "default")


def test_empty_binding_means_the_default_link(cache: LatticeCache) -> None:
    assert resolve(cache, "lat", ACTOR, {KV}, "", KV).public_key == PROVIDER


def test_linked_contract_without_claim_is_not_authorized(cache: LatticeCache) -> None:
    with pytest.raises(RouteError, match=f"^Invocation not authorized: missing capability claim for {KV}$"):
        resolve(cache, "lat", ACTOR, set(), "default", KV)


def test_unlinked_contract_names_the_missing_link(cache: LatticeCache) -> None:
    message = "^Invocation not authorized: missing link definition for wasmcloud:messaging on lat$"
    with pytest.raises(RouteError, match=message):
        resolve(cache, "lat", ACTOR, {"wasmcloud:messaging"}, "default", "wasmcloud:messaging")


def test_unclaimed_unlinked_contract_names_the_claim(cache: LatticeCache) -> None:
    with pytest.raises(RouteError, match="missing capability claim for wasmcloud:messaging"):
        resolve(cache, "lat", ACTOR, set(), "default", "wasmcloud:messaging")


def test_actor_key_needs_no_link_or_claim(cache: LatticeCache) -> None:
    assert resolve(cache, "lat", ACTOR, set(), "", TARGET) == WasmCloudEntity.actor(TARGET)


def test_call_alias(cache: LatticeCache) -> None:
    assert resolve(cache, "lat", ACTOR, set(), "", "ponger") == WasmCloudEntity.actor(TARGET)


def test_unknown_alias_has_no_target(cache: LatticeCache) -> None:
    with pytest.raises(RouteError, match=r"^Could not identify suitable target for invocation$"):
        resolve(cache, "lat", ACTOR, set(), "", "nobody")
