"""Property: whatever bytes arrive on whichever control subject, dispatch answers with JSON (or, for an auction
that does not match, stays silent) and never raises."""

from __future__ import annotations

import asyncio
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from host.control.server import ControlServer
from lattice import subjects
from lattice.subjects import CtlOp
from tests.unit.host.control.control_target import RecordingTarget

LATTICE = "prop"
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
field_names = st.sampled_from(
    ["actor_ref", "actor_id", "provider_ref", "link_name", "count", "annotations", "host_id", "key", "value",
     "constraints", "contract_id", "provider_id", "values", "timeout", "configuration", "new_actor_ref", "replicas"]
)  # fmt: skip
bodies = st.one_of(
    st.binary(max_size=64),
    st.dictionaries(field_names, json_values, max_size=6).map(lambda d: json.dumps(d).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
)


@settings(max_examples=300, deadline=None)
@given(op=st.sampled_from(list(CtlOp)), body=bodies)
def test_dispatch_always_answers_cleanly(op: CtlOp, body: bytes) -> None:
    target = RecordingTarget(LATTICE)
    server = ControlServer(None, LATTICE, target)
    subject = subjects.ctl(LATTICE, op, target.host_id if op.host_targeted else "")
    outcome = asyncio.run(server.dispatch(subject, body))
    if outcome.reply is None:
        assert op in (CtlOp.AUCTION_ACTOR, CtlOp.AUCTION_PROVIDER)
        return
    reply = json.loads(outcome.reply)
    assert isinstance(reply, dict)
    if reply.get("accepted") is False:
        assert isinstance(reply["error"], str)
        assert reply["error"]
        assert "Traceback" not in reply["error"]
        assert "internal error" not in reply["error"]  # bad input is refused by decoding, not by a crash
