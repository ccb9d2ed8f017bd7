"""nats-servers that require authentication (or mutual TLS) *and* run JetStream, for whole-lattice tests.

Each :class:`LockedServer` carries how the three kinds of clients authenticate on it: the host's config fields,
the CLI's flags, and the URL. Users, JWTs and certificates come from tests/support/nats_auth.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lattice.keys import KeyPair, KeyType
from lattice.natsserver import NatsServer, NatsServerConfig
from tests.support.nats_auth import make_tls_files, nats_jwt

UNLIMITED = -1
ACCOUNT_LIMITS = {
    "subs": UNLIMITED,
    "data": UNLIMITED,
    "payload": UNLIMITED,
    "conn": UNLIMITED,
    "imports": UNLIMITED,
    "exports": UNLIMITED,
    "wildcards": True,
    "leaf": UNLIMITED,
    "mem_storage": UNLIMITED,
    "disk_storage": UNLIMITED,
    "streams": UNLIMITED,
    "consumer": UNLIMITED,
}
USER_LIMITS = {"subs": UNLIMITED, "data": UNLIMITED, "payload": UNLIMITED}
CREDS_TEMPLATE = """-----BEGIN NATS USER JWT-----
{jwt}
------END NATS USER JWT------

************************* IMPORTANT *************************
NKEY Seed printed below can be used to sign and prove identity.

-----BEGIN USER NKEY SEED-----
{seed}
------END USER NKEY SEED------
"""


@dataclass
class LockedServer:
    """A running server plus how to log in: ``host_fields`` for HostConfig, ``cli_flags`` for `lattice ctl`."""

    server: NatsServer
    url: str
    host_fields: dict[str, Any] = field(default_factory=dict)
    cli_flags: list[str] = field(default_factory=list)
    refusal: str = ""
    """What a client without credentials is told (a fragment)."""


def _start(directory: Path, config_text: str) -> NatsServer:
    directory.mkdir(parents=True, exist_ok=True)
    config_file = directory / "nats.conf"
    config_file.write_text(config_text, encoding="utf-8")
    server = NatsServer(NatsServerConfig(store_dir=directory, jetstream=True, config_file=config_file))
    server.start()
    return server


def _everywhere(**values: Any) -> dict[str, Any]:
    """``rpc_x``, ``ctl_x`` and ``prov_rpc_x`` for each ``x=value``: every role of the host logs in the same way."""
    return {f"{role}_{name}": value for role in ("rpc", "ctl", "prov_rpc") for name, value in values.items()}


def nkey_server(directory: Path) -> Iterator[LockedServer]:
    user = KeyPair.create(KeyType.USER)
    server = _start(directory, f'authorization {{ users = [ {{ nkey: "{user.public_key}" }} ] }}\n')
    try:
        seed_file = directory / "user.nk"
        seed_file.write_text(user.seed, encoding="ascii")
        yield LockedServer(
            server, server.url, _everywhere(seed=user.seed), ["--nats-seed", str(seed_file)], "requires credentials"
        )
    finally:
        server.stop()


def _operator_server(directory: Path) -> tuple[NatsServer, str, str]:
    """Operator mode with JetStream: a system account (JetStream needs one) and one JetStream-enabled account."""
    operator, system, account, user = (
        KeyPair.create(kind) for kind in (KeyType.OPERATOR, KeyType.ACCOUNT, KeyType.ACCOUNT, KeyType.USER)
    )
    operator_file = directory / "operator.jwt"
    directory.mkdir(parents=True, exist_ok=True)
    operator_file.write_text(nats_jwt(operator, operator.public_key, "sec-operator", {"type": "operator"}))
    system_jwt = nats_jwt(operator, system.public_key, "SYS", {"type": "account"})
    account_jwt = nats_jwt(operator, account.public_key, "sec-account", {"type": "account", "limits": ACCOUNT_LIMITS})
    user_jwt = nats_jwt(account, user.public_key, "sec-user", {"type": "user", **USER_LIMITS})
    server = _start(
        directory,
        f'operator: "{operator_file}"\nsystem_account: {system.public_key}\nresolver: MEMORY\n'
        f'resolver_preload: {{ {system.public_key}: "{system_jwt}", {account.public_key}: "{account_jwt}" }}\n',
    )
    return server, user_jwt, user.seed


def jwt_server(directory: Path) -> Iterator[LockedServer]:
    server, user_jwt, seed = _operator_server(directory)
    try:
        flags = ["--nats-jwt", user_jwt, "--nats-seed", seed]
        yield LockedServer(server, server.url, _everywhere(jwt=user_jwt, seed=seed), flags, "requires credentials")
    finally:
        server.stop()


def creds_server(directory: Path) -> Iterator[LockedServer]:
    server, user_jwt, seed = _operator_server(directory)
    try:
        creds = directory / "user.creds"
        creds.write_text(CREDS_TEMPLATE.format(jwt=user_jwt, seed=seed), encoding="ascii")
        creds.chmod(0o600)
        yield LockedServer(
            server, server.url, _everywhere(credsfile=creds), ["--creds", str(creds)], "requires credentials"
        )
    finally:
        server.stop()


def tls_server(directory: Path) -> Iterator[LockedServer]:
    """Mutual TLS: the server verifies a client certificate signed by the test CA (and nothing else)."""
    tls = make_tls_files(directory / "pki")
    server = _start(
        directory,
        f'tls {{ cert_file: "{tls.server_cert}", key_file: "{tls.server_key}", ca_file: "{tls.ca}", verify: true }}\n',
    )
    try:
        url = f"tls://127.0.0.1:{server.port}"
        fields = {"tls_ca_file": tls.ca, "tls_cert_file": tls.client_cert, "tls_key_file": tls.client_key}
        flags = ["--tls-ca", str(tls.ca), "--tls-cert", str(tls.client_cert), "--tls-key", str(tls.client_key)]
        yield LockedServer(server, url, fields, flags, "TLS with NATS at")
    finally:
        server.stop()


SERVERS = {"nkey-seed": nkey_server, "user-jwt": jwt_server, "creds-file": creds_server, "mutual-tls": tls_server}
