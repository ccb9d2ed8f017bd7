"""Real nats-servers with authentication: nkey users, operator/JWT mode, and mutual TLS.

Fixtures: ``nkey_user`` / ``nkey_server``, ``jwt_user`` / ``operator_server``, ``tls_files`` / ``tls_server``;
``hub_and_leaf`` (a hub in JetStream domain ``hub`` and a leaf node with its own domain, as edge hosts run).
JWTs and certificates come from tests/support/nats_auth.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lattice.keys import KeyPair, KeyType
from lattice.natsserver import NatsServer, NatsServerConfig
from tests.support.nats_auth import JwtUser, TlsFiles, make_tls_files, nats_jwt

UNLIMITED = -1
LEAF_LISTEN = re.compile(r"Listening for leafnode connections on [0-9.]+:(\d+)")


def _start(tmp_path: Path, config_text: str) -> NatsServer:
    config_file = tmp_path / "nats.conf"
    config_file.write_text(config_text, encoding="utf-8")
    server = NatsServer(NatsServerConfig(store_dir=tmp_path, jetstream=False, config_file=config_file))
    server.start()
    return server


@pytest.fixture
def nkey_user() -> KeyPair:
    return KeyPair.create(KeyType.USER)


@pytest.fixture
def nkey_server(tmp_path: Path, nkey_user: KeyPair) -> Iterator[NatsServer]:
    """A server whose only user is ``nkey_user`` (bare nkey authentication)."""
    server = _start(tmp_path, f'authorization {{ users = [ {{ nkey: "{nkey_user.public_key}" }} ] }}\n')
    yield server
    server.stop()


@dataclass(frozen=True)
class OperatorTrust:
    operator_jwt: str
    account: KeyPair
    account_jwt: str
    user: JwtUser


def _operator_trust() -> OperatorTrust:
    operator, account, user = (KeyPair.create(kind) for kind in (KeyType.OPERATOR, KeyType.ACCOUNT, KeyType.USER))
    limits = {"subs": UNLIMITED, "data": UNLIMITED, "payload": UNLIMITED, "conn": UNLIMITED}
    return OperatorTrust(
        operator_jwt=nats_jwt(operator, operator.public_key, "test-operator", {"type": "operator"}),
        account=account,
        account_jwt=nats_jwt(operator, account.public_key, "test-account", {"type": "account", "limits": limits}),
        user=JwtUser(user.seed, nats_jwt(account, user.public_key, "test-user", {"type": "user", **limits})),
    )


@pytest.fixture
def operator_trust() -> OperatorTrust:
    return _operator_trust()


@pytest.fixture
def jwt_user(operator_trust: OperatorTrust) -> JwtUser:
    return operator_trust.user


@pytest.fixture
def operator_server(tmp_path: Path, operator_trust: OperatorTrust) -> Iterator[NatsServer]:
    """A server in operator mode trusting one account, whose user is ``jwt_user``."""
    operator_file = tmp_path / "operator.jwt"
    operator_file.write_text(operator_trust.operator_jwt, encoding="ascii")
    server = _start(
        tmp_path,
        f'operator: "{operator_file}"\nresolver: MEMORY\n'
        f'resolver_preload: {{ {operator_trust.account.public_key}: "{operator_trust.account_jwt}" }}\n',
    )
    yield server
    server.stop()


@pytest.fixture
def tls_files(tmp_path: Path) -> TlsFiles:
    """A throw-away CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files."""
    return make_tls_files(tmp_path)


@pytest.fixture
def tls_server(tmp_path: Path, tls_files: TlsFiles) -> Iterator[NatsServer]:
    """A server that requires TLS and a client certificate signed by the test CA."""
    server = _start(
        tmp_path,
        f'tls {{ cert_file: "{tls_files.server_cert}", key_file: "{tls_files.server_key}", '
        f'ca_file: "{tls_files.ca}", verify: true }}\n',
    )
    yield server
    server.stop()


@pytest.fixture
def hub_and_leaf(tmp_path: Path) -> Iterator[tuple[NatsServer, NatsServer]]:
    """A hub with JetStream domain ``hub`` and a leaf node with its own domain ``edge``, on random ports."""
    hub_conf = tmp_path / "hub.conf"
    hub_conf.write_text('jetstream { domain: hub }\nleafnodes { listen: "127.0.0.1:-1" }\n', encoding="utf-8")
    hub = NatsServer(NatsServerConfig(store_dir=tmp_path / "hub", config_file=hub_conf, server_name="hub"))
    with hub:
        found = LEAF_LISTEN.search(hub.log_path.read_text(encoding="utf-8"))
        assert found is not None, "the hub did not say where it listens for leaf nodes"
        leaf_conf = tmp_path / "leaf.conf"
        leaf_conf.write_text(
            "jetstream { domain: edge }\n"
            + f'leafnodes {{ remotes: [ {{ url: "nats-leaf://127.0.0.1:{found.group(1)}" }} ] }}\n',
            encoding="utf-8",
        )
        leaf = NatsServer(NatsServerConfig(store_dir=tmp_path / "leaf", config_file=leaf_conf, server_name="leaf"))
        with leaf:
            yield hub, leaf
