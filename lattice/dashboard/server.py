"""The dashboard's web app: the page and its files, ``/api/lattice``, ``/api/rates``, ``/api/events`` (server-sent
events) and ``POST /api/actions/{name}``.

Safety: it listens on loopback unless told otherwise, and anywhere else only with a token (``Authorization:
Bearer …`` or ``?token=…``; 401 without it). Every request's ``Host`` must be the bound one or a loopback name (no
DNS rebinding); actions need a JSON body and the ``X-Lattice-Dashboard`` header, which a cross-site page cannot
send without a preflight this app never approves. Responses carry a strict Content-Security-Policy (no inline or
third-party script) and ``Referrer-Policy: no-referrer``; the page builds its DOM from text nodes only.
"""

from __future__ import annotations

import asyncio
import hmac
import importlib.resources
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from lattice.app.deploy import AppNotDeployed
from lattice.app.errors import AppError, Unsatisfiable
from lattice.control import (
    CommandRejectedError,
    ControlClient,
    ControlTimeout,
    ControlUnreachable,
    NoHostsError,
    NotFoundError,
    PayloadError,
)
from lattice.dashboard.actions import ACTIONS
from lattice.dashboard.errors import ActionInvalid, TokenRequiredError
from lattice.dashboard.feed import EventFeed
from lattice.dashboard.snapshot import snapshot
from lattice.errors import LatticeError
from lattice.observe.listen import LOCALHOST_NAMES, ListenAddress, Site

ACTION_HEADER = "X-Lattice-Dashboard"
TOKEN_PARAM = "token"
HEARTBEAT_S = 15.0
MAX_BODY_BYTES = 64 * 1024
STATIC_FILES = {"/": ("index.html", "text/html"), "/app.js": ("app.js", "text/javascript"),
                "/app.css": ("app.css", "text/css")}  # fmt: skip
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
STATUS_BY_ERROR: tuple[tuple[type[Exception], int], ...] = (
    (ActionInvalid, 400),
    (PayloadError, 400),
    (Unsatisfiable, 409),
    (AppNotDeployed, 404),
    (AppError, 400),
    (NoHostsError, 404),  # also HostNotFoundError: the host vanished
    (NotFoundError, 404),
    (CommandRejectedError, 409),
    (ControlTimeout, 504),
    (ControlUnreachable, 502),
    (LatticeError, 400),
)

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


class Dashboard:
    """Serves the page for one lattice through ``ctl``; ``token`` is required when ``address`` is not loopback."""

    def __init__(self, ctl: ControlClient, address: ListenAddress, token: str | None = None) -> None:
        if not address.is_loopback and not token:
            raise TokenRequiredError(f"the dashboard would listen on {address}, beyond this machine: give it a token")
        self.ctl = ctl
        self.token = token or None
        self.feed = EventFeed(ctl.nc, ctl.lattice)
        self._closing = asyncio.Event()
        app = web.Application(middlewares=[self._guard], client_max_size=MAX_BODY_BYTES)
        for path in STATIC_FILES:
            app.router.add_get(path, self._static)
        app.router.add_get("/api/lattice", self._lattice)
        app.router.add_get("/api/rates", self._rates)
        app.router.add_get("/api/events", self._events)
        app.router.add_post("/api/actions/{name}", self._action)
        self.site = Site(app, address, "the dashboard")
        self._allowed_hosts = {address.host.lower(), *LOCALHOST_NAMES, "127.0.0.1", "::1"}

    @property
    def url(self) -> str:
        """The page's URL, with the token when there is one."""
        return f"{self.site.url}/" + (f"?{TOKEN_PARAM}={self.token}" if self.token else "")

    async def start(self) -> None:
        await self.feed.start()
        try:
            await self.site.start()
        except BaseException:
            await self.feed.stop()
            raise

    async def stop(self) -> None:
        self._closing.set()
        await self.site.stop()
        await self.feed.stop()

    # --- guard ----------------------------------------------------------------------------------------------------

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        refusal = self._refusal(request)
        if refusal is not None:
            status, message = refusal
            response: web.StreamResponse = _json({"error": message}, status)
            if status == 401:
                response.headers["WWW-Authenticate"] = "Bearer"
        else:
            response = await handler(request)
        if not response.prepared:
            response.headers.update(SECURITY_HEADERS)
        return response

    def _refusal(self, request: web.Request) -> tuple[int, str] | None:
        host = (request.url.host or "").lower().strip("[]")
        if host not in self._allowed_hosts:
            return 403, f"requests for host {host!r} are not served here"
        if self.token is not None:
            given = request.query.get(TOKEN_PARAM, "")
            scheme, _, value = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() == "bearer":
                given = value.strip()
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                return 401, "a token is required: open the URL `lattice dashboard` printed (it ends in ?token=…)"
        if request.method == "POST" and (
            request.headers.get(ACTION_HEADER) != "1" or request.content_type != "application/json"
        ):
            return 403, f"actions need a JSON body and the {ACTION_HEADER} header"
        return None

    # --- handlers -------------------------------------------------------------------------------------------------

    async def _static(self, request: web.Request) -> web.Response:
        name, kind = STATIC_FILES[request.path]
        body = importlib.resources.files("lattice.dashboard").joinpath("static", name).read_bytes()
        return web.Response(body=body, content_type=kind, charset="utf-8")

    async def _lattice(self, _request: web.Request) -> web.Response:
        return _json(await snapshot(self.ctl))

    async def _rates(self, _request: web.Request) -> web.Response:
        return _json({"window_s": 60, "rates": self.feed.rates()})

    async def _action(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        action = ACTIONS.get(name)
        if action is None:
            return _json({"ok": False, "error": f"unknown action {name!r}"}, 404)
        try:
            body = await request.json()
        except ValueError:
            return _json({"ok": False, "error": "the body is not JSON"}, 400)
        if not isinstance(body, dict):
            return _json({"ok": False, "error": "the body must be a JSON object"}, 400)
        try:
            message = await action(self.ctl, body)
        except LatticeError as exc:
            status = next(code for kind, code in STATUS_BY_ERROR if isinstance(exc, kind))
            return _json({"ok": False, "error": str(exc)}, status)
        except Exception:
            log.exception("dashboard action %s failed", name)
            return _json({"ok": False, "error": f"{name} failed inside the dashboard (see its log)"}, 500)
        return _json({"ok": True, "message": message})

    async def _events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", **SECURITY_HEADERS})
        await response.prepare(request)
        queue = self.feed.subscribe()
        try:
            for event in list(self.feed.backlog):
                await response.write(_sse(event))
            while not self._closing.is_set():
                try:
                    event = await asyncio.wait_for(queue.get(), HEARTBEAT_S)
                except TimeoutError:
                    await response.write(b": heartbeat\n\n")
                    continue
                await response.write(_sse(event))
        except ConnectionResetError:
            pass  # the page went away
        finally:
            self.feed.unsubscribe(queue)
        return response


def _sse(event: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(event, separators=(',', ':'))}\n\n".encode()
