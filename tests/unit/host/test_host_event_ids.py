"""events.event_id: the CloudEvents ``id`` of every event, a UUIDv4 formatted without the uuid module."""

from __future__ import annotations

import uuid

from host import events
from lattice.wire import WasmCloudEntity


def test_event_ids_are_random_rfc4122_version_4_uuids() -> None:
    ids = [events.event_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, text)


def test_invocation_events_carry_an_event_id() -> None:
    entity = WasmCloudEntity.actor("M" + "A" * 55)
    event = events.invocation_result("N" + "B" * 55, succeeded=True, source=entity, dest=entity, operation="Op", size=1)
    assert uuid.UUID(event["id"]).version == 4
