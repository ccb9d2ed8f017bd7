"""Shared fixtures: one real nats-server (JetStream, random port) per session, a fresh lattice prefix per test,
a connected NATS client, and the Redis URL; every test runs with a temporary home (see :func:`_hermetic_home`).

Fixtures: ``nats_server`` (session), ``nats_url`` (session), ``lattice_prefix``, ``nc`` (async), ``redis_url``
(session; skips when Redis is unreachable), ``tmp_state_dir``, ``cluster_key``. Helpers shared by several suites
live in tests/support/.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis
from nats.aio.client import Client

from lattice import keys
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


@pytest.fixture
def cluster_key() -> keys.KeyPair:
    """A fresh cluster key: hosts started by the test trust it and callers sign with it."""
    return keys.KeyPair.create(keys.KeyType.CLUSTER)


SETTINGS_ENV_PREFIXES = ("WASMCLOUD_", "WASMLATTICE_", "HOST_")
"""Variables that configure hosts, providers and the CLI: none may leak in from the shell that runs the tests."""
STATE_ENV = {"WASMLATTICE_STATE_DIR": ".wasmlattice/host", "WASMLATTICE_KEYS_DIR": ".wasmlattice/keys"}
"""Where state goes, relative to the temporary home (the defaults' layout, so ``~`` and the variables agree)."""


@pytest.fixture(autouse=True)
def _hermetic_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Tests, and every process they start, never read or write the user's home.

    ``HOME`` is a fresh temporary directory; every ``WASMCLOUD_*``, ``WASMLATTICE_*`` and ``HOST_*`` variable of the
    shell is removed (a developer's cluster seed or lattice prefix must not change what a test sees), then the state
    and keys directories are pointed into the temporary home. A test that clears those variables, or a child
    started without them, still lands in the temporary home through ``~``.
    """
    home = tmp_path_factory.mktemp("home")
    for name in list(os.environ):
        if name.startswith(SETTINGS_ENV_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    for name, relative in STATE_ENV.items():
        monkeypatch.setenv(name, str(home / relative))
    return home


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Free wasmtime objects while the interpreter is whole (their finalisers fail during interpreter teardown)."""
    import gc

    gc.collect()
