"""Fixtures for the control client tests: a recording host behind a real ControlServer, and a client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from nats.aio.client import Client

from lattice.control import ControlClient, ControlTimeouts

FAST = ControlTimeouts(request_s=2.0, gather_s=0.3)


@pytest.fixture
async def ctl(nc: Client, lattice_prefix: str) -> AsyncIterator[ControlClient]:
    async with ControlClient(nc, lattice_prefix, timeouts=FAST) as client:
        yield client
