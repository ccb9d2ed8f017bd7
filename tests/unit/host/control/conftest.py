"""Fixtures for the control server tests: a recording target and a started server on the session's NATS."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from nats.aio.client import Client

from host.control.server import ControlServer
from tests.unit.host.control.control_target import RecordingTarget


@pytest.fixture
def target(lattice_prefix: str) -> RecordingTarget:
    return RecordingTarget(lattice_prefix)


@pytest.fixture
async def server(nc: Client, lattice_prefix: str, target: RecordingTarget) -> AsyncIterator[ControlServer]:
    async with ControlServer(nc, lattice_prefix, target) as started:
        yield started
