"""Shared fixtures: one real nats-server (JetStream, random port) per session, a fresh lattice prefix per test,
a connected NATS client, and the Redis URL.

Fixtures: ``nats_server`` (session), ``nats_url`` (session), ``lattice_prefix``, ``nc`` (async), ``redis_url``
(session; skips when Redis is unreachable), ``tmp_state_dir``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis
from nats.aio.client import Client

from lattice.natsconn import NatsOptions, connect
from lattice.natsserver import NatsServer, NatsServerConfig

REDIS_URL_ENV = "REDIS_URL"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379"
REDIS_PING_TIMEOUT_S = 1.0
TEST_CONNECT_TIMEOUT_S = 5.0
DRAIN_TIMEOUT_S = 5


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A nats-server with JetStream on a random loopback port, shared by the session. Start failures raise."""
    store = tmp_path_factory.mktemp("nats-server")
    server = NatsServer(NatsServerConfig(store_dir=store, server_name="wasmlattice-tests"))
    with server:
        yield server


@pytest.fixture(scope="session")
def nats_url(nats_server: NatsServer) -> str:
    return nats_server.url


@pytest.fixture
def lattice_prefix() -> str:
    """A lattice prefix no other test uses: ``t`` + 10 lowercase hex digits."""
    return "t" + secrets.token_hex(5)


@pytest.fixture
async def nc(nats_url: str, request: pytest.FixtureRequest) -> AsyncIterator[Client]:
    """A NATS client connected to the session's server; drained after the test."""
    opts = NatsOptions(url=nats_url, name=request.node.name, connect_timeout_s=TEST_CONNECT_TIMEOUT_S)
    client = await connect(opts, drain_timeout=DRAIN_TIMEOUT_S)
    try:
        yield client
    finally:
        if not client.is_closed:
            await client.drain()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """``$REDIS_URL`` (default redis://127.0.0.1:6379); the test is skipped, saying why, when it does not answer."""
    url = os.environ.get(REDIS_URL_ENV, DEFAULT_REDIS_URL)
    client = redis.Redis.from_url(url, socket_timeout=REDIS_PING_TIMEOUT_S, socket_connect_timeout=REDIS_PING_TIMEOUT_S)
    try:
        client.ping()
    except redis.exceptions.AuthenticationError:
        raise
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        pytest.skip(f"Redis at {url} is unreachable ({exc}); set {REDIS_URL_ENV} to run this test")
    finally:
        client.close()
    return url


@pytest.fixture
def tmp_state_dir(tmp_path: Path) -> Path:
    """An empty directory for a host's or CLI's state (pid files, logs, caches)."""
    state = tmp_path / "state"
    state.mkdir()
    return state


@pytest.fixture(autouse=True)
def _no_home_state(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests (and the processes they start) never read or write ~/.wasmlattice: state and keys go to a temp dir."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("WASMLATTICE_STATE_DIR", str(home / "state"))
    monkeypatch.setenv("WASMLATTICE_KEYS_DIR", str(home / "keys"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Free wasmtime objects while the interpreter is whole (their finalisers fail during interpreter teardown)."""
    import gc

    gc.collect()
