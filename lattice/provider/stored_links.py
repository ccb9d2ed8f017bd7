"""The links the lattice stores for a provider (``LINKDEF_*`` in ``LATTICEDATA_{lattice}``, docs/protocol.md §7.2).

A host hands the links to the providers it starts (HostData ``link_definitions``). A provider run by hand has no
host to do that, so at start it reads them from the lattice's bucket itself, as the wasmCloud ctl client 0.2x
did: restarted under the same key, it serves the same links again.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from lattice import subjects
from lattice.wire import LinkDefinition

log = logging.getLogger(__name__)


async def stored_links(
    nc: Any, lattice: str, js_domain: str | None, provider_id: str, link_name: str
) -> list[LinkDefinition]:
    """Every stored link to ``provider_id`` under ``link_name``; none when the bucket cannot be read."""
    js = nc.jetstream(domain=js_domain) if js_domain else nc.jetstream()
    try:
        kv = await js.key_value(subjects.lattice_bucket(lattice))
        keys = await kv.keys()
    except Exception as exc:  # no bucket yet (no host ever ran), no keys, no JetStream: nothing stored
        log.debug("no stored links read from %s: %s", subjects.lattice_bucket(lattice), exc)
        return []
    found = []
    for key in (k for k in keys if k.startswith(subjects.KvKind.LINKDEF.value)):
        try:
            entry = await kv.get(key)
            link = LinkDefinition.from_wire(json.loads(entry.value), key)
        except Exception as exc:  # deleted meanwhile, or not a link (MessageMalformed): skip it
            log.debug("skipping %s: %s", key, exc)
            continue
        if link.provider_id == provider_id and link.link_name == link_name:
            found.append(link)
    return found
