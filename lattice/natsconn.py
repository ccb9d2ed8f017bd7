"""How lattice members connect to NATS: one options object and one ``connect()``.

nats-py signs the server's nonce with the ``nkeys`` package, which we do not depend on; the Ed25519 signing here
uses :mod:`lattice.keys` and is handed to nats-py through its ``signature_cb`` / ``user_jwt_cb`` hooks.
nats-py 2.16 internals touched, each where it is used: ``_public_nkey`` (bare nkey auth), ``_server_info``
(was TLS used, was auth required) and ``_transport`` (closing a connect cut short). The integration tests in
tests/integration/test_nats_auth.py and test_nats_harness.py fail if a nats-py upgrade changes them.

:func:`flush_all` is the barrier to use after subscribing or publishing, where another connection acts next: nats-py's
own ``flush()`` can return before the server has those commands.

The first connect is bounded by ``connect_timeout_s`` (nats-py alone would retry forever with
``max_reconnect_attempts=-1``) and ends at once when the credentials are refused or TLS verification fails.

Errors::

    LatticeError
    ├── NatsOptionsError (also ValueError)   bad URL, seed, creds file or TLS settings
    └── NatsConnectError                     no connection could be made in time
        └── NatsAuthError                    the server refused the credentials
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import re
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from nats.aio.client import Client
from nats.errors import Error as NatsError

from lattice.errors import LatticeError
from lattice.keys import KeyPair, KeyType, NKeyError

DEFAULT_NATS_PORT = 4222
DEFAULT_NATS_URL = f"nats://127.0.0.1:{DEFAULT_NATS_PORT}"
DEFAULT_CONNECT_TIMEOUT_S = 5.0
DEFAULT_MAX_RECONNECT_ATTEMPTS = -1
DEFAULT_RECONNECT_WAIT_S = 2.0
DISCARD_TIMEOUT_S = 0.5
NATS_URL_SCHEMES = ("nats", "tls")

_log = logging.getLogger(__name__)
_CREDS_BLOCK = re.compile(r"-{3,}BEGIN [A-Z ]+-{3,}\s*\n\s*(\S+)\s*\n\s*-{3,}END [A-Z ]+-{3,}")


class NatsOptionsError(LatticeError, ValueError):
    """The NATS URL, seed, JWT, creds file or TLS settings are not usable."""


class NatsConnectError(LatticeError):
    """No connection to NATS could be made in time."""


class NatsAuthError(NatsConnectError):
    """The NATS server refused the credentials."""


def parse_nats_url(url: str) -> tuple[str, int]:
    """Split ``nats://host:port`` (or ``tls://``) into host and port; the port defaults to 4222."""
    try:
        parts = urlsplit(url if "://" in url else f"nats://{url}")
        port = parts.port or DEFAULT_NATS_PORT
    except ValueError as exc:
        raise NatsOptionsError(f"bad NATS URL {redact_url(url)!r}: {exc}") from exc
    if parts.scheme not in NATS_URL_SCHEMES or not parts.hostname:
        raise NatsOptionsError(f"bad NATS URL {redact_url(url)!r}: expected nats://host:port or tls://host:port")
    return parts.hostname, port


def redact_url(url: str) -> str:
    """The URL without any ``user:password@`` part, for messages and logs."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    _, at, hostpart = rest.rpartition("@")
    shown = f"***@{hostpart}" if at else rest
    return f"{scheme}{sep}{shown}"


@dataclass(frozen=True, kw_only=True)
class NatsOptions:
    """Where and how to connect. ``seed`` alone is nkey auth; ``seed`` + ``jwt`` (or ``creds_file``) is JWT auth."""

    url: str = DEFAULT_NATS_URL
    seed: str | None = field(default=None, repr=False)
    jwt: str | None = field(default=None, repr=False)
    creds_file: Path | None = None
    tls_ca: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_required: bool = False
    name: str | None = None
    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S
    max_reconnect_attempts: int = DEFAULT_MAX_RECONNECT_ATTEMPTS
    reconnect_wait_s: float = DEFAULT_RECONNECT_WAIT_S

    def __post_init__(self) -> None:
        parse_nats_url(self.url)
        if self.jwt and not self.seed:
            raise NatsOptionsError("a user JWT needs the user's nkey seed (SU…) to sign the server's nonce")
        if self.creds_file is not None and (self.seed or self.jwt):
            raise NatsOptionsError("give either a creds file or a seed/JWT, not both")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise NatsOptionsError("a TLS client certificate needs both tls_cert and tls_key")
        if self.connect_timeout_s <= 0 or self.reconnect_wait_s < 0:
            raise NatsOptionsError("connect_timeout_s must be > 0 and reconnect_wait_s >= 0")
        if self.max_reconnect_attempts < -1:
            raise NatsOptionsError("max_reconnect_attempts is -1 (forever) or a count >= 0")
        if self.seed:
            user_keypair(self.seed)

    @property
    def uses_tls(self) -> bool:
        return (
            self.tls_required or self.url.startswith("tls://") or self.tls_ca is not None or self.tls_cert is not None
        )


def user_keypair(seed: str) -> KeyPair:
    """The user key pair of an ``SU…`` seed, or :class:`NatsOptionsError`."""
    try:
        return KeyPair.from_seed(seed, expected=KeyType.USER)
    except NKeyError as exc:
        raise NatsOptionsError(f"bad NATS user seed: {exc}") from exc


def read_creds_file(path: Path) -> tuple[str, str]:
    """The (user JWT, user seed) of a ``.creds`` file as written by ``nsc``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NatsOptionsError(f"cannot read NATS creds file {path}: {exc}") from exc
    blocks = _CREDS_BLOCK.findall(text)
    if len(blocks) < 2 or not blocks[1].startswith("SU"):
        raise NatsOptionsError(f"{path} is not a NATS creds file (a user JWT block, then a user seed block)")
    return blocks[0], blocks[1]


def ssl_context(opts: NatsOptions) -> ssl.SSLContext | None:
    """The TLS context for ``opts``; None when TLS is not asked for."""
    if not opts.uses_tls:
        return None
    try:
        ctx = ssl.create_default_context(cafile=str(opts.tls_ca) if opts.tls_ca else None)
        if opts.tls_cert is not None and opts.tls_key is not None:
            ctx.load_cert_chain(str(opts.tls_cert), str(opts.tls_key))
    except (OSError, ssl.SSLError) as exc:
        raise NatsOptionsError(f"cannot load TLS files: {exc}") from exc
    return ctx


@dataclass(frozen=True)
class NkeyAuth:
    """Answers the server's nonce challenge: the signature, and either the JWT or the bare public nkey."""

    keypair: KeyPair
    jwt: str | None = field(default=None, repr=False)

    def sign_nonce(self, nonce: str) -> bytes:
        return base64.b64encode(self.keypair.sign(nonce.encode()))

    def user_jwt(self) -> bytes:
        assert self.jwt is not None
        return self.jwt.encode()


def nkey_auth(opts: NatsOptions) -> NkeyAuth | None:
    if opts.creds_file is not None:
        jwt, seed = read_creds_file(opts.creds_file)
        return NkeyAuth(user_keypair(seed), jwt)
    if opts.seed:
        return NkeyAuth(user_keypair(opts.seed), opts.jwt or None)
    return None


def connect_kwargs(opts: NatsOptions, auth: NkeyAuth | None) -> dict[str, Any]:
    """The keyword arguments of ``nats.aio.client.Client.connect`` for ``opts`` (callbacks excluded)."""
    kwargs: dict[str, Any] = {
        "servers": [opts.url],
        "name": opts.name,
        "connect_timeout": opts.connect_timeout_s,
        "reconnect_time_wait": opts.reconnect_wait_s,
        # nats-py reads 0 attempts as "forever", so "never reconnect" is allow_reconnect=False.
        "allow_reconnect": opts.max_reconnect_attempts != 0,
        "max_reconnect_attempts": opts.max_reconnect_attempts,
    }
    tls = ssl_context(opts)
    if tls is not None:
        kwargs["tls"] = tls
    if auth is not None:
        kwargs["signature_cb"] = auth.sign_nonce
        if auth.jwt is not None:
            kwargs["user_jwt_cb"] = auth.user_jwt
    return kwargs


def _auth_refused(err: BaseException, auth_required: bool) -> bool:
    """The server refused us: it said so, or (racing its own error line) reset the socket right after CONNECT."""
    said_so = "authorization violation" in str(err).lower()
    return said_so or (auth_required and isinstance(err, ConnectionResetError | BrokenPipeError))


def _connect_error(url: str, err: BaseException | None, refused: bool, has_credentials: bool) -> NatsConnectError:
    shown = redact_url(url)
    if refused and has_credentials:
        return NatsAuthError(f"NATS at {shown} refused the credentials: check the seed, JWT or creds file")
    if refused:
        return NatsAuthError(f"NATS at {shown} requires credentials: give a user seed, a JWT and seed, or a creds file")
    if isinstance(err, ssl.SSLError):
        return NatsConnectError(f"TLS with NATS at {shown} failed: {err}; check the CA and certificate files")
    cause = f" (last error: {err})" if err is not None else ""
    return NatsConnectError(f"could not reach NATS at {shown}: is a server running? start one with `lattice up`{cause}")


class _ConnectionLog:
    """Logs connection events in one line each, and ends the first connect early when retrying cannot help."""

    def __init__(
        self, client: Client, user_error_cb: Callable[[Exception], Awaitable[None]] | None, fail_fast: bool = False
    ) -> None:
        self.fail_fast = fail_fast  # no reconnects wanted: a refused TCP connection ends the first connect at once
        self.connected = False
        self.last_error: Exception | None = None
        self.refused = False
        self.fatal = False
        self._client = client
        self._user_error_cb = user_error_cb

    async def error_cb(self, err: Exception) -> None:
        if self.connected:
            _log.warning("NATS error: %s", err)
        elif not self.fatal:  # after a fatal error, the rest is noise from closing the socket
            _log.debug("NATS connect attempt failed: %s", err)
            self.last_error = err
            self.refused = _auth_refused(err, bool(self._client._server_info.get("auth_required")))
            self.fatal = self.refused or isinstance(err, ssl.SSLError)
            if self.fatal:
                # nats-py re-raises a failed handshake instead of retrying when reconnecting is off.
                self._client.options["allow_reconnect"] = False
            elif self.fail_fast and isinstance(err, ConnectionRefusedError):
                # nats-py retries a refused socket until the deadline, whatever allow_reconnect says; raising
                # here ends its server-selection loop, and with reconnecting off its connect re-raises it.
                self.fatal = True
                self._client.options["allow_reconnect"] = False
                raise err
        if self._user_error_cb is not None:
            await self._user_error_cb(err)

    async def disconnected_cb(self) -> None:
        if self.connected and not self._client.is_closed:
            _log.warning("disconnected from NATS; reconnecting")

    async def reconnected_cb(self) -> None:
        _log.info("reconnected to NATS")

    async def closed_cb(self) -> None:
        _log.debug("NATS connection closed")

    def callbacks(self) -> dict[str, Any]:
        return {
            "error_cb": self.error_cb,
            "disconnected_cb": self.disconnected_cb,
            "reconnected_cb": self.reconnected_cb,
            "closed_cb": self.closed_cb,
        }


def _new_client(auth: NkeyAuth | None) -> Client:
    nc = Client()
    if auth is not None and auth.jwt is None:
        # Bare nkey auth: nats-py sends this public key beside the signature. It only sets it itself from the
        # ``nkeys`` package (nkeys_seed=…), so we set the same attribute; tests/integration/test_nats_auth.py
        # proves it against a real server.
        nc._public_nkey = auth.keypair.public_key
    return nc


async def _discard(nc: Client) -> None:
    """Close a client whose first connect failed or was cut short by the deadline."""
    with contextlib.suppress(TimeoutError):
        # After a failed TLS upgrade nats-py waits forever for the (already closed) plain socket to report closing.
        async with asyncio.timeout(DISCARD_TIMEOUT_S):
            await nc.close()
    # A connect cancelled inside nats-py's own close leaves the client marked closed with its socket open.
    if nc._transport is not None:
        nc._transport.close()  # type: ignore[no-untyped-call]


async def connect(opts: NatsOptions, **extra: Any) -> Client:
    """Connect within ``opts.connect_timeout_s`` or raise :class:`NatsConnectError` / :class:`NatsAuthError`.

    ``extra`` goes to ``Client.connect`` as is (e.g. ``reconnected_cb``); an ``error_cb`` in it is called too.
    """
    auth = nkey_auth(opts)
    nc = _new_client(auth)
    events = _ConnectionLog(nc, extra.pop("error_cb", None), fail_fast=opts.max_reconnect_attempts == 0)
    kwargs = connect_kwargs(opts, auth) | events.callbacks() | extra
    try:
        async with asyncio.timeout(opts.connect_timeout_s):
            await nc.connect(**kwargs)
    except (TimeoutError, OSError, NatsError) as exc:
        await _discard(nc)
        cause = events.last_error or exc
        raise _connect_error(opts.url, cause, events.refused, auth is not None) from cause
    except BaseException:
        await _discard(nc)
        raise
    if opts.uses_tls and not nc._server_info.get("tls_required", False):
        await nc.close()
        raise NatsConnectError(f"NATS at {redact_url(opts.url)} does not offer TLS, but TLS was asked for")
    events.connected = True
    _log.debug("connected to NATS at %s", redact_url(opts.url))
    return nc


DEFAULT_FLUSH_TIMEOUT_S = 5  # whole seconds: nats-py types the flush timeout as int


async def flush_all(nc: Client, timeout_s: int = DEFAULT_FLUSH_TIMEOUT_S) -> None:
    """Return once the server has processed everything written on ``nc`` so far: subscriptions and publishes.

    ``Client.flush()`` alone does not promise that in nats-py 2.16: it writes its PING straight to the socket, ahead
    of the SUB and PUB commands still in the client's write buffer, so its PONG can come back before the server has
    them. A subscriber that flushed and then let another connection call it was sometimes "nobody serves" (61 of
    2000 tries, measured). The client's flusher task writes that buffer before the first PONG can arrive (it was
    scheduled first), so the second PING follows every command written before this call.
    """
    await nc.flush(timeout=timeout_s)
    await nc.flush(timeout=timeout_s)
