"""The host's heartbeat: ``host_heartbeat`` every ``interval_s`` and on demand (OTP 0.60+ beats on every ping)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from host import events
from host.control.target import ProviderInfo
from host.identity import Identity
from lattice import __version__


@dataclass(frozen=True)
class Heartbeat:
    """What a heartbeat reports, read at each beat from the parts that know it."""

    publisher: events.EventPublisher
    identity: Identity
    labels: Mapping[str, str]
    actor_counts: Callable[[], Mapping[str, int]]
    providers: Callable[[], list[ProviderInfo]]

    def event(self) -> events.Event:
        providers = [
            {"public_key": p.id, "link_name": p.link_name, "contract_id": p.contract_id} for p in self.providers()
        ]
        return events.host_heartbeat(
            self.identity.host_id,
            actors=self.actor_counts(),
            providers=providers,
            labels=self.labels,
            friendly_name=self.identity.friendly_name,
            version=__version__,
            uptime_seconds=self.identity.uptime_seconds(),
        )

    async def beat(self) -> None:
        await self.publisher.publish(self.event())

    async def run(self, interval_s: float) -> None:
        """Beat now and every ``interval_s`` until cancelled."""
        while True:
            await self.beat()
            await asyncio.sleep(interval_s)
