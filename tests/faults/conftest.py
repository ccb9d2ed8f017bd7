"""Fixtures of the fault-injection tests (helpers live in faults_support.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.support.faults_support import client


@pytest.fixture
async def fast_nc(nats_url: str, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """A client of the session's nats-server that reconnects quickly; closed after the test."""
    nc = await client(nats_url, request.node.name)
    try:
        yield nc
    finally:
        await nc.close()
