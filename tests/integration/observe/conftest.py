"""Fixtures for observability tests: ``otlp_receiver`` (a decoding OTLP/HTTP receiver on a random port)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.integration.observe.otlp_receiver import OtlpReceiver


@pytest.fixture
async def otlp_receiver() -> AsyncIterator[OtlpReceiver]:
    receiver = OtlpReceiver()
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()
