"""What a provider reports about itself: its identity and the state of each link it was given (our extension).

wasmbus ``linkdefs.put`` is a plain publish that nobody answers, so a host cannot know whether a provider took a
link (an HTTP port already in use, bad settings). SDK providers therefore

* answer ``wasmbus.rpc.{lattice}.providers.ping`` (:func:`lattice.subjects.providers_ping`) with a
  :class:`ProviderReport`: key, link name, contract, the host that started it (or ``manual``), and every link with
  its state, ``linked`` or ``refused`` and why;
* publish ``linkdef_applied`` / ``linkdef_refused`` events on ``wasmbus.evt.{lattice}`` when a link is taken or
  refused, so that whoever waits for readiness wakes up at once.

Providers that do not speak this extension simply do not answer; their links count as "unconfirmed".
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self

from lattice.provider.errors import ReportMalformed

LINKED = "linked"
REFUSED = "refused"
LINK_APPLIED_EVENT = "linkdef_applied"
LINK_REFUSED_EVENT = "linkdef_refused"


@dataclass(frozen=True)
class LinkReport:
    actor_id: str
    state: str  # LINKED | REFUSED
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        out = {"actor_id": self.actor_id, "state": self.state}
        return out | ({"error": self.error} if self.error else {})


@dataclass(frozen=True)
class ProviderReport:
    """One provider instance's answer to a providers ping."""

    provider_id: str
    link_name: str
    contract_id: str
    host_id: str
    instance_id: str = ""
    name: str = ""
    manual: bool = False  # started by hand (``--manual``), not by a host
    links: tuple[LinkReport, ...] = ()
    annotations: Mapping[str, str] = field(default_factory=dict)

    def link(self, actor_id: str) -> LinkReport | None:
        return next((x for x in self.links if x.actor_id == actor_id), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "provider_id": self.provider_id,
            "link_name": self.link_name,
            "contract_id": self.contract_id,
            "host_id": self.host_id,
            "instance_id": self.instance_id,
            "name": self.name,
            "manual": self.manual,
            "links": [x.to_json() for x in self.links],
        }

    def encode(self) -> bytes:
        return json.dumps(self.to_json(), separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, body: Any) -> Self:
        if not isinstance(body, dict):
            raise ReportMalformed("a provider report must be a JSON object")
        text = {k: body.get(k, "") for k in ("provider_id", "link_name", "contract_id", "host_id", "instance_id")}
        if not all(isinstance(v, str) for v in text.values()) or not text["provider_id"]:
            raise ReportMalformed("a provider report needs string provider_id, link_name, contract_id and host_id")
        links = body.get("links", [])
        if not isinstance(links, list) or not all(_is_link(x) for x in links):
            raise ReportMalformed("provider report links must be objects with actor_id and state")
        return cls(
            **text,
            name=str(body.get("name") or ""),
            manual=body.get("manual") is True,
            links=tuple(LinkReport(x["actor_id"], x["state"], str(x.get("error") or "")) for x in links),
        )

    @classmethod
    def decode(cls, data: bytes) -> Self:
        try:
            return cls.from_json(json.loads(data))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ReportMalformed(f"a provider report is not JSON: {exc}") from exc


def _is_link(value: Any) -> bool:
    return (
        isinstance(value, dict) and isinstance(value.get("actor_id"), str) and value.get("state") in (LINKED, REFUSED)
    )


def link_event(name: str, source: str, link_data: Mapping[str, Any]) -> bytes:
    """A CloudEvent (as hosts publish them, docs/protocol.md §6.1) announcing that a link was applied or refused."""
    body = {
        "specversion": "1.0",
        "type": f"com.wasmcloud.lattice.{name}",
        "source": source,
        "id": str(uuid.uuid4()),
        "time": datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "data": dict(link_data),
    }
    return json.dumps(body, separators=(",", ":")).encode()
