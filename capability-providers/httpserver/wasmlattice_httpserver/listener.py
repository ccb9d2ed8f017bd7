"""One HTTP listener per linked actor: request → ``HttpServer.HandleRequest`` → response.

Status codes the provider itself answers with: 413 for a body over ``max_content_len``, 405 for a write method in
``readonly_mode``, 403 for a refused CORS preflight, 500 when the actor fails or answers nonsense, 503 when it does
not answer within ``timeout_ms``.
"""

from __future__ import annotations

import errno
import logging
import ssl
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from lattice.interfaces import HttpRequest, HttpResponse
from lattice.provider import LinkRefused
from lattice.rpc import RpcError, RpcTimeout
from lattice.wire import MessageMalformed
from wasmlattice_httpserver import cors
from wasmlattice_httpserver.settings import HttpSettings

READONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SKIPPED_RESPONSE_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})
DEFAULT_SHUTDOWN_TIMEOUT_S = 2.0
READ_CHUNK = 64 * 1024

log = logging.getLogger(__name__)


class ClientFaults(logging.Filter):
    """aiohttp logs every malformed request (and every client that hangs up mid-body) at ERROR with a traceback:
    garbage sent by anyone would flood the log. Such a record becomes one WARNING line without the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError) and 400 <= exc.code < 500:
            detail = f"{exc.code} {(str(exc.message).strip().splitlines() or [''])[0][:200]}"
        elif isinstance(exc, ConnectionResetError):
            detail = "the client hung up"
        else:
            return True
        if record.levelno > logging.WARNING:
            record.msg, record.args = f"{record.getMessage()}: {detail}", ()
            record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
            record.exc_info, record.exc_text = None, None
        return True


server_log = logging.getLogger(f"{__name__}.server")  # aiohttp's request-handling log, for this provider
server_log.addFilter(ClientFaults())

CallActor = Callable[[bytes, int | None], Awaitable[bytes]]


class BodyTooLarge(Exception):
    pass


def plain(status: int, text: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, text=text + "\n", headers=headers)


def ssl_context(settings: HttpSettings) -> ssl.SSLContext | None:
    if settings.tls is None:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        ctx.load_cert_chain(str(settings.tls.cert_file), str(settings.tls.priv_key_file))
    except (OSError, ssl.SSLError) as exc:
        raise LinkRefused(f"cannot load TLS certificate {settings.tls.cert_file} / key: {exc}") from exc
    return ctx


async def read_body(request: web.BaseRequest, limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge
    body = bytearray()
    async for chunk in request.content.iter_chunked(READ_CHUNK):
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge
    return bytes(body)


def to_actor_request(request: web.BaseRequest, body: bytes) -> HttpRequest:
    header: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        header.setdefault(name.lower(), []).append(value)
    return HttpRequest(
        method=request.method,
        path=request.path,
        query_string=request.query_string,
        header={k: tuple(v) for k, v in header.items()},
        body=body,
    )


def from_actor_response(reply: bytes, settings: HttpSettings) -> web.Response:
    response = HttpResponse.decode(reply)
    if not 100 <= response.status_code <= 599:
        log.warning("actor answered with invalid status code %d", response.status_code)
        return plain(500, "internal server error: the actor answered with an invalid status code")
    out = web.Response(status=response.status_code, body=response.body)
    for name, values in response.header.items():
        if name.lower() in SKIPPED_RESPONSE_HEADERS:
            continue
        for value in values:
            out.headers.add(name, value)
    if settings.cache_control and "Cache-Control" not in out.headers:
        out.headers["Cache-Control"] = settings.cache_control
    return out


class Listener:
    """An aiohttp server bound for one actor; :meth:`start` raises :class:`LinkRefused` when it cannot bind."""

    def __init__(self, actor_id: str, settings: HttpSettings, call_actor: CallActor) -> None:
        self.actor_id = actor_id
        self.settings = settings
        self._call_actor = call_actor
        self._runner: web.ServerRunner | None = None

    @property
    def address(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    async def start(self) -> None:
        ctx = ssl_context(self.settings)
        server = web.Server(self._handle, access_log=None, logger=server_log)
        runner = web.ServerRunner(server, shutdown_timeout=DEFAULT_SHUTDOWN_TIMEOUT_S)
        await runner.setup()
        site = web.TCPSite(runner, self.settings.host, self.settings.port, ssl_context=ctx)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            why = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be bound: {exc.strerror or exc}"
            raise LinkRefused(f"address {self.address} {why}") from exc
        self._runner = runner
        log.info("listening on %s://%s for actor %s", "https" if ctx else "http", self.address, self.actor_id)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
            log.info("stopped listening on %s for actor %s", self.address, self.actor_id)

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        settings = self.settings
        if cors.is_preflight(request.method, request.headers):
            allowed = cors.preflight(settings.cors, request.headers)
            return web.Response(status=204, headers=allowed) if allowed else plain(403, "CORS request not allowed")
        response = await self._serve(request)
        response.headers.update(cors.response_headers(settings.cors, request.headers.get("Origin")))
        return response

    async def _serve(self, request: web.BaseRequest) -> web.Response:
        settings = self.settings
        if settings.readonly_mode and request.method not in READONLY_METHODS:
            return plain(405, "method not allowed: this server is read-only", {"Allow": "GET, HEAD, OPTIONS"})
        try:
            body = await read_body(request, settings.max_content_len)
        except BodyTooLarge:
            return plain(413, f"request body exceeds {settings.max_content_len} bytes")
        try:
            reply = await self._call_actor(to_actor_request(request, body).encode(), settings.timeout_ms)
            return from_actor_response(reply, settings)
        except RpcTimeout as exc:
            log.warning("actor %s did not answer: %s", self.actor_id, exc)
            return plain(503, "service unavailable: the actor did not answer in time")
        except (RpcError, MessageMalformed) as exc:
            log.warning("actor %s failed: %s", self.actor_id, exc)
            return plain(500, "internal server error")

    def __repr__(self) -> str:
        return f"Listener({self.actor_id}, {self.address})"
