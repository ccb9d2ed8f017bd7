"""Listening addresses (``HOST:PORT``) and serving an aiohttp app on one, with typed errors.

``127.0.0.1:9090``, ``localhost:9090``, ``0.0.0.0:9090`` and ``[::1]:9090`` are accepted; port 0 asks the system for
a free port (the bound one is reported). A port already in use raises :class:`PortInUseError` and leaves nothing
running, so the caller can log it and go on.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import socket
from dataclasses import dataclass

from aiohttp import web

from lattice.observe.errors import ListenAddressError, ListenError, PortInUseError

LOCALHOST_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
MAX_PORT = 65535
SHUTDOWN_TIMEOUT_S = 2.0

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ListenAddress:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def is_loopback(self) -> bool:
        """True when only this machine can connect (127.0.0.0/8, ::1, localhost)."""
        if self.host.lower() in LOCALHOST_NAMES:
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def parse_listen_address(text: str, what: str) -> ListenAddress:
    """``HOST:PORT`` (IPv6 in brackets) → :class:`ListenAddress`; ``what`` names the flag or variable in errors."""
    value = text.strip()
    host, sep, port_text = value.rpartition(":")
    if not sep or not host:
        raise ListenAddressError(f"{what}: expected HOST:PORT (e.g. 127.0.0.1:9090), got {text!r}")
    if host.startswith("["):
        if not host.endswith("]"):
            raise ListenAddressError(f"{what}: unbalanced brackets in {text!r}")
        host = host[1:-1]
    elif ":" in host:
        raise ListenAddressError(f"{what}: put an IPv6 address in brackets, e.g. [::1]:9090, got {text!r}")
    if not host or any(c.isspace() or c in "/@?#" for c in host):
        raise ListenAddressError(f"{what}: bad host in {text!r}")
    if not port_text.isdigit() or int(port_text) > MAX_PORT:
        raise ListenAddressError(f"{what}: the port must be a number from 0 to {MAX_PORT}, got {port_text!r}")
    return ListenAddress(host, int(port_text))


class Site:
    """An aiohttp app served on one address; ``port`` is the bound port (useful with port 0)."""

    def __init__(self, app: web.Application, address: ListenAddress, what: str) -> None:
        self.app = app
        self.address = address
        self.what = what
        self.port = address.port
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        host = f"[{self.address.host}]" if ":" in self.address.host else self.address.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT_S)
        await runner.setup()
        site = web.TCPSite(runner, self.address.host, self.address.port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise _bind_error(exc, self.address, self.what) from None
        self._runner = runner
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = int(sockets[0].getsockname()[1])

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()


def _bind_error(exc: OSError, address: ListenAddress, what: str) -> ListenError:
    if exc.errno == errno.EADDRINUSE:
        return PortInUseError(f"cannot serve {what} on {address}: the port is in use by another process")
    if isinstance(exc, socket.gaierror):
        return ListenError(f"cannot serve {what} on {address}: unknown host ({exc.strerror})")
    return ListenError(f"cannot serve {what} on {address}: {exc.strerror or exc}")
