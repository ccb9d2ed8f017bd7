"""Fixtures for the control client tests: a recording host behind a real ControlServer, and a client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from nats.aio.client import Client

from host.control.server import ControlServer
from lattice.control import ControlClient, ControlTimeouts
from tests.unit.host.control.control_target import RecordingTarget

FAST = ControlTimeouts(request_s=2.0, gather_s=0.3)


@pytest.fixture
def target(lattice_prefix: str) -> RecordingTarget:
    return RecordingTarget(lattice_prefix)


@pytest.fixture
async def server(nc: Client, lattice_prefix: str, target: RecordingTarget) -> AsyncIterator[ControlServer]:
    async with ControlServer(nc, lattice_prefix, target) as started:
        yield started


@pytest.fixture
async def ctl(nc: Client, lattice_prefix: str) -> AsyncIterator[ControlClient]:
    async with ControlClient(nc, lattice_prefix, timeouts=FAST) as client:
        yield client
