"""Fixtures of the host integration tests: keys, a host config on the session's nats-server, a signed caller."""

from __future__ import annotations

from pathlib import Path

import pytest

from host.config import HostConfig
from lattice import keys
from tests.integration.host.hostcore_support import TEST_DEADLINE_MS, TEST_MEMORY_BYTES


@pytest.fixture
def account() -> keys.KeyPair:
    return keys.KeyPair.create(keys.KeyType.ACCOUNT)


@pytest.fixture
def host_config(nats_url: str, lattice_prefix: str, tmp_path: Path, cluster_key: keys.KeyPair) -> HostConfig:
    """A host on the test lattice that trusts ``cluster_key``, may load files, and has tight actor limits."""
    return HostConfig(
        lattice=lattice_prefix,
        cluster_seed=cluster_key.seed,
        allow_file_load=True,
        state_dir=tmp_path / "host",
        actor_deadline_ms=TEST_DEADLINE_MS,
        actor_memory_bytes=TEST_MEMORY_BYTES,
    ).with_nats_url(nats_url)
