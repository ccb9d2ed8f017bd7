"""Fixtures shared by the unit tests of both sides of the control interface: the server's (tests/unit/host/control)
and the client's and CLI's (tests/unit/lattice/control), which talk to a recording host behind a real server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from nats.aio.client import Client

from host.control.server import ControlServer
from tests.unit.host.control.control_target import RecordingTarget


@pytest.fixture
def target(lattice_prefix: str) -> RecordingTarget:
    """A host double that records every control call and answers from canned state."""
    return RecordingTarget(lattice_prefix)


@pytest.fixture
async def server(nc: Client, lattice_prefix: str, target: RecordingTarget) -> AsyncIterator[ControlServer]:
    """A real ControlServer for ``target`` on the session's NATS."""
    async with ControlServer(nc, lattice_prefix, target) as started:
        yield started
