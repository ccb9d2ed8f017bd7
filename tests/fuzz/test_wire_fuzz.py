"""Mutated signed invocations, host data lines and link definitions under garbage.

The anti-forgery property: no mutation of a signed invocation both decodes and validates while changing what is
invoked (origin, target, operation, payload, id). Everything else raises the module's own error types.
"""

from __future__ import annotations

import base64
import contextlib
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from lattice import keys
from lattice.wire import (
    ForgedInvocation,
    HostData,
    Invocation,
    LinkDefinition,
    MessageMalformed,
    WasmCloudEntity,
    antiforgery,
)
from tests.fuzz.generators import Fuzz

CLUSTER = keys.KeyPair.create(keys.KeyType.CLUSTER)
HOST = keys.KeyPair.create(keys.KeyType.SERVER).public_key
ACTOR = keys.KeyPair.create(keys.KeyType.MODULE).public_key
PROVIDER = keys.KeyPair.create(keys.KeyType.SERVICE).public_key
ORIGINS = [WasmCloudEntity.actor(ACTOR), WasmCloudEntity.provider(PROVIDER, "wasmcloud:keyvalue", "default")]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
HOSTDATA_FIELDS = ["host_id", "lattice_rpc_prefix", "link_name", "lattice_rpc_user_jwt", "lattice_rpc_user_seed",
                   "lattice_rpc_url", "provider_key", "invocation_seed", "cluster_issuers", "env_values",
                   "instance_id", "link_definitions", "config_json", "default_rpc_timeout_ms", "js_domain",
                   "structured_logging", "log_level"]  # fmt: skip


def _meaning(inv: Invocation) -> tuple[Any, ...]:
    return inv.origin, inv.target, inv.operation, inv.msg, inv.id


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), origin=st.sampled_from(ORIGINS), msg=st.binary(max_size=64))
def test_no_mutation_changes_what_is_invoked_and_still_validates(
    seed: int, origin: WasmCloudEntity, msg: bytes
) -> None:
    signed = antiforgery.sign(origin, WasmCloudEntity.actor(ACTOR), "Echo.Echo", msg, CLUSTER, HOST)
    data = Fuzz(seed).mutate(signed.to_wire())
    try:
        mutant = Invocation.decode(data)
        if mutant.is_chunked:
            return  # its payload would come from the object store, which the pipeline fetches before validating
        antiforgery.validate(mutant, [CLUSTER.public_key])
    except (MessageMalformed, ForgedInvocation):
        return
    assert _meaning(mutant) == _meaning(signed)


@given(seed=st.integers(0, 2**32 - 1))
def test_a_foreign_cluster_key_never_validates(seed: int) -> None:
    other = keys.KeyPair.create(keys.KeyType.CLUSTER)
    signed = antiforgery.sign(ORIGINS[0], WasmCloudEntity.actor(ACTOR), "Echo.Echo", b"x", other, HOST)
    data = Fuzz(seed).mutate(signed.to_wire())
    with contextlib.suppress(MessageMalformed):
        mutant = Invocation.decode(data)
        try:
            antiforgery.validate(mutant, [CLUSTER.public_key])
        except ForgedInvocation:
            return
        raise AssertionError(f"an invocation signed by an untrusted key validated: {mutant}")


@given(line=st.binary(max_size=200) | st.text(max_size=200))
def test_any_host_data_line_decodes_or_raises_malformed(line: bytes | str) -> None:
    with contextlib.suppress(MessageMalformed):
        HostData.decode_line(line)


@given(body=st.dictionaries(st.sampled_from(HOSTDATA_FIELDS), json_values, max_size=10))
def test_host_data_of_wrong_types_raises_malformed(body: dict[str, Any]) -> None:
    line = base64.b64encode(json.dumps(body).encode()) + b"\n"
    try:
        data = HostData.decode_line(line)
    except MessageMalformed:
        return
    assert HostData.decode_line(data.encode_line()) == data


@given(body=json_values | st.dictionaries(st.sampled_from(["actor_id", "provider_id", "link_name", "contract_id",
                                                            "values", "id"]), json_values, max_size=6))  # fmt: skip
def test_link_definition_json_decodes_or_raises_malformed(body: Any) -> None:
    try:
        link = LinkDefinition.decode_json(json.dumps(body).encode())
    except MessageMalformed:
        return
    assert LinkDefinition.decode_json(link.encode_json()) == link
