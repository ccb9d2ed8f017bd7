"""The host's NATS connections: one for RPC (invocations, providers) and one for control and events — the same
connection when their settings agree.

::

    conns = await Connections.open(config.rpc_nats(), config.ctl_nats(), "wasmlattice host calm-fox")
    ...  # conns.rpc, conns.ctl
    await conns.close()  # drains both
"""

from __future__ import annotations

import logging
from dataclasses import replace

from nats.aio.client import Client

from lattice.natsconn import NatsOptions, connect

log = logging.getLogger(__name__)


class Connections:
    """See the module docstring; :meth:`open` connects, :meth:`close` drains."""

    def __init__(self, rpc: Client, ctl: Client) -> None:
        self.rpc = rpc
        self.ctl = ctl

    @classmethod
    async def open(cls, rpc: NatsOptions, ctl: NatsOptions, name: str) -> Connections:
        """Connect as ``{name} rpc`` (and ``{name} ctl`` when the control settings differ)."""
        rpc_nc = await connect(replace(rpc, name=f"{name} rpc"))
        try:
            ctl_nc = rpc_nc if ctl == rpc else await connect(replace(ctl, name=f"{name} ctl"))
        except BaseException:
            await _drain(rpc_nc, "rpc")
            raise
        return cls(rpc_nc, ctl_nc)

    @property
    def shared(self) -> bool:
        """True when RPC and control use one connection."""
        return self.rpc is self.ctl

    async def close(self) -> None:
        """Drain both connections (whatever is in flight is delivered first); never raises."""
        if not self.shared:
            await _drain(self.ctl, "ctl")
        await _drain(self.rpc, "rpc")


async def _drain(nc: Client, role: str) -> None:
    if nc.is_closed:
        return
    try:
        await nc.drain()
    except Exception as exc:
        log.debug("draining the %s connection failed: %s", role, exc)
