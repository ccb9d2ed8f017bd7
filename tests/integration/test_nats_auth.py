"""``lattice.natsconn.connect`` against real servers that demand nkeys, JWTs or client certificates."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg

from lattice.keys import KeyPair, KeyType
from lattice.natsconn import NatsAuthError, NatsConnectError, NatsOptions, connect
from lattice.natsserver import NatsServer

if TYPE_CHECKING:  # the fixtures' types
    from tests.support.nats_auth import JwtUser, TlsFiles

AUTH_TIMEOUT_S = 5.0
FAST_FAILURE_S = 2.0
REQUEST_TIMEOUT_S = 2.0


async def _round_trip(nc: Client) -> bytes:
    """A request answered by the same connection: proves the server accepted us."""
    inbox = nc.new_inbox()

    async def pong(msg: Msg) -> None:
        await msg.respond(b"pong")

    await nc.subscribe(inbox, cb=pong)
    reply = await nc.request(inbox, b"ping", timeout=REQUEST_TIMEOUT_S)
    return reply.data


async def _assert_refused_quickly(opts: NatsOptions) -> None:
    started = time.monotonic()
    with pytest.raises(NatsAuthError, match="refused the credentials"):
        await connect(opts)
    assert time.monotonic() - started < FAST_FAILURE_S


async def test_nkey_seed_authenticates(nkey_server: NatsServer, nkey_user: KeyPair) -> None:
    nc = await connect(NatsOptions(url=nkey_server.url, seed=nkey_user.seed, connect_timeout_s=AUTH_TIMEOUT_S))
    try:
        assert await _round_trip(nc) == b"pong"
    finally:
        await nc.close()


async def test_unknown_nkey_is_refused_without_retrying(nkey_server: NatsServer) -> None:
    stranger = KeyPair.create(KeyType.USER)
    await _assert_refused_quickly(
        NatsOptions(url=nkey_server.url, seed=stranger.seed, connect_timeout_s=AUTH_TIMEOUT_S)
    )


async def test_no_credentials_is_refused(nkey_server: NatsServer) -> None:
    started = time.monotonic()
    with pytest.raises(NatsAuthError, match="requires credentials"):
        await connect(NatsOptions(url=nkey_server.url, connect_timeout_s=AUTH_TIMEOUT_S))
    assert time.monotonic() - started < FAST_FAILURE_S


async def test_user_jwt_and_seed_authenticate(operator_server: NatsServer, jwt_user: JwtUser) -> None:
    opts = NatsOptions(url=operator_server.url, seed=jwt_user.seed, jwt=jwt_user.jwt, connect_timeout_s=AUTH_TIMEOUT_S)
    nc = await connect(opts)
    try:
        assert await _round_trip(nc) == b"pong"
    finally:
        await nc.close()


async def test_creds_file_authenticates(operator_server: NatsServer, jwt_user: JwtUser, tmp_path: Path) -> None:
    creds = tmp_path / "user.creds"
    creds.write_text(
        f"-----BEGIN NATS USER JWT-----\n{jwt_user.jwt}\n------END NATS USER JWT------\n\n"
        "************************* IMPORTANT *************************\n\n"
        f"-----BEGIN USER NKEY SEED-----\n{jwt_user.seed}\n------END USER NKEY SEED------\n",
        encoding="ascii",
    )
    nc = await connect(NatsOptions(url=operator_server.url, creds_file=creds, connect_timeout_s=AUTH_TIMEOUT_S))
    try:
        assert await _round_trip(nc) == b"pong"
    finally:
        await nc.close()


async def test_jwt_signed_with_another_seed_is_refused(operator_server: NatsServer, jwt_user: JwtUser) -> None:
    impostor = KeyPair.create(KeyType.USER)
    opts = NatsOptions(url=operator_server.url, seed=impostor.seed, jwt=jwt_user.jwt, connect_timeout_s=AUTH_TIMEOUT_S)
    await _assert_refused_quickly(opts)


async def test_mutual_tls_connects(tls_server: NatsServer, tls_files: TlsFiles) -> None:
    opts = NatsOptions(
        url=tls_server.url,
        tls_ca=tls_files.ca,
        tls_cert=tls_files.client_cert,
        tls_key=tls_files.client_key,
        connect_timeout_s=AUTH_TIMEOUT_S,
    )
    nc = await connect(opts)
    try:
        assert await _round_trip(nc) == b"pong"
    finally:
        await nc.close()


async def test_tls_without_client_certificate_fails_in_time(tls_server: NatsServer, tls_files: TlsFiles) -> None:
    started = time.monotonic()
    with pytest.raises(NatsConnectError):
        await connect(NatsOptions(url=tls_server.url, tls_ca=tls_files.ca, connect_timeout_s=1.0))
    assert time.monotonic() - started < FAST_FAILURE_S + 1.0


async def test_tls_server_not_trusted_fails_without_retrying(tls_server: NatsServer) -> None:
    started = time.monotonic()
    with pytest.raises(NatsConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        await connect(NatsOptions(url=tls_server.url, tls_required=True, connect_timeout_s=AUTH_TIMEOUT_S))
    assert time.monotonic() - started < FAST_FAILURE_S
