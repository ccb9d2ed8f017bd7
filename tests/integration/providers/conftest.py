"""Fixtures of the provider integration tests (helpers live in providers_harness.py)."""

from __future__ import annotations

import pytest

from tests.support.providers_harness import LatticeSpec


@pytest.fixture
def lattice(lattice_prefix: str, nats_url: str) -> LatticeSpec:
    return LatticeSpec(lattice_prefix, nats_url)
