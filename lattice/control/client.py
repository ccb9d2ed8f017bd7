"""The control-interface client: one coroutine per control operation (docs/protocol.md §5), typed results, typed errors.

::

    async with ControlClient(NatsOptions(url=...), lattice="default") as ctl:
        hosts = await ctl.ping_hosts()
        async with ctl.watch_events() as events:
            await ctl.start_actor(hosts[0].id, "file:///actors/echo_s.wasm")
            await events.wait_for(matching("actor_started", "actors_started"), timeout_s=30)

Commands return once the host has *accepted* them; the work itself is reported by events. A refusal raises
:class:`CommandRejectedError`; see :mod:`lattice.control.errors` for the rest.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypeVar

from nats.errors import Error as NatsError
from nats.errors import NoRespondersError

from lattice import keys, subjects
from lattice.control.base import JsonPayload, loads
from lattice.control.commands import (
    DEFAULT_LAUNCH_COUNT,
    STOP_ALL,
    LabelDeleteRequest,
    LabelPutRequest,
    LaunchActorCommand,
    LaunchProviderCommand,
    ScaleActorCommand,
    StopActorCommand,
    StopHostCommand,
    StopProviderCommand,
    UpdateActorCommand,
)
from lattice.control.errors import (
    CommandRejectedError,
    ControlTimeout,
    ControlUnreachable,
    HostNotFoundError,
    NoHostsError,
    NotFoundError,
    PayloadError,
)
from lattice.control.events import EventWatcher
from lattice.control.replies import ClaimsReply, Host, HostInventory, LinksReply
from lattice.control.requests import (
    Ack,
    ActorAuctionAck,
    ActorAuctionRequest,
    LinkDeleteRequest,
    ProviderAuctionAck,
    ProviderAuctionRequest,
    RegistriesPutRequest,
    RegistryCredential,
)
from lattice.natsconn import NatsConnectError, NatsOptions, connect, redact_url
from lattice.provider.errors import ReportMalformed
from lattice.provider.status import ProviderReport
from lattice.subjects import CtlOp
from lattice.wire import DEFAULT_LINK_NAME, LinkDefinition

log = logging.getLogger(__name__)

DEFAULT_REQUEST_TIMEOUT_S = 2.0
DEFAULT_GATHER_TIMEOUT_S = 1.0
DEFAULT_DRAIN_TIMEOUT_S = 2
STATUS_HEADER = "Status"  # nats-py puts a server status line (e.g. 503 no responders) here
NO_RESPONDERS_STATUS = "503"

P = TypeVar("P", bound=JsonPayload)


@dataclass(frozen=True)
class ControlTimeouts:
    """``request_s``: one reply; ``gather_s``: how long ping and auctions collect replies from every host."""

    request_s: float = DEFAULT_REQUEST_TIMEOUT_S
    gather_s: float = DEFAULT_GATHER_TIMEOUT_S

    def __post_init__(self) -> None:
        if self.request_s <= 0 or self.gather_s <= 0:
            raise ValueError("control timeouts must be > 0 seconds")


class ControlClient:
    """Steers a lattice over its control interface, through a NATS connection it is given or opens itself."""

    def __init__(
        self,
        connection: NatsOptions | Any,
        lattice: str = subjects.DEFAULT_LATTICE,
        *,
        prefix: str = subjects.DEFAULT_CTL_PREFIX,
        timeouts: ControlTimeouts | None = None,
    ) -> None:
        subjects.check_token(lattice, "lattice prefix")
        self.lattice = lattice
        self.prefix = prefix
        self.timeouts = timeouts or ControlTimeouts()
        self._opts = connection if isinstance(connection, NatsOptions) else None
        self._nc: Any = None if self._opts is not None else connection

    # --- lifecycle ------------------------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self._opts is not None and self._nc is None:
            try:
                self._nc = await connect(self._opts, drain_timeout=DEFAULT_DRAIN_TIMEOUT_S)
            except NatsConnectError as exc:
                raise ControlUnreachable(str(exc)) from exc
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._opts is not None and self._nc is not None:
            nc, self._nc = self._nc, None
            if not nc.is_closed:
                await nc.close()

    @property
    def nc(self) -> Any:
        if self._nc is None:
            raise RuntimeError("ControlClient used before connecting (use `async with`)")
        return self._nc

    @property
    def url(self) -> str:
        """The NATS URL, without credentials, for messages."""
        if self._opts is not None:
            return redact_url(self._opts.url)
        found = getattr(self._nc, "connected_url", None)
        return f"{found.scheme}://{found.hostname}:{found.port}" if found is not None else "(unknown NATS)"

    def watch_events(self, *, rpc: bool = False) -> EventWatcher:
        """A watcher on this lattice's events (``rpc``: invocation events too); enter it *before* sending the command
        you wait on."""
        return EventWatcher(self.nc, self.lattice, rpc=rpc)

    def no_hosts(self) -> NoHostsError:
        return NoHostsError(f"no host answered on lattice {self.lattice!r} at {self.url}: start one with `lattice up`")

    # --- lattice-wide queries -------------------------------------------------------------------------------------

    async def ping_hosts(self, timeout_s: float | None = None, expect: Collection[str] = ()) -> list[Host]:
        """Every host that answers within the gather timeout, sorted by id (an empty list when none does).

        With ``expect``, the gathering ends as soon as every one of those host ids answered.
        """
        wanted = set(expect)

        def enough(replies: list[bytes]) -> bool:
            return bool(wanted) and wanted <= {h.id for h in _decode_each(Host, replies, quiet=True)}

        replies = await self._gather(self._subject(CtlOp.PING_HOSTS), b"", timeout_s, enough if wanted else None)
        return sorted(_decode_each(Host, replies), key=lambda h: h.id)

    async def ping_providers(self, timeout_s: float | None = None, expect: int = 0) -> list[ProviderReport]:
        """Every SDK provider's report (identity and link states); ends early once ``expect`` reports arrived."""
        subject = subjects.providers_ping(self.lattice)
        replies = await self._gather(subject, b"", timeout_s, (lambda r: len(r) >= expect) if expect else None)
        reports = []
        for data in replies:
            try:
                reports.append(ProviderReport.decode(data))
            except ReportMalformed as exc:
                log.warning("ignoring a malformed provider report: %s", exc)
        return sorted(reports, key=lambda r: (r.provider_id, r.link_name, r.host_id))

    async def get_inventory(self, host_id: str) -> HostInventory:
        reply = await self._request(self._subject(CtlOp.GET_INVENTORY, host_id), b"", host_id=host_id)
        return HostInventory.from_json(_reply_object(reply, HostInventory.WHAT, host_id))

    async def get_claims(self) -> list[Mapping[str, str]]:
        reply = await self._request(self._subject(CtlOp.GET_CLAIMS), b"")
        return list(ClaimsReply.from_json(_reply_object(reply, ClaimsReply.WHAT)).claims)

    async def get_links(self) -> list[LinkDefinition]:
        reply = await self._request(self._subject(CtlOp.GET_LINKS), b"")
        return list(LinksReply.from_json(_reply_object(reply, LinksReply.WHAT)).links)

    async def auction_actor(
        self, actor_ref: str, constraints: Mapping[str, str] | None = None, timeout_s: float | None = None
    ) -> list[ActorAuctionAck]:
        """The hosts whose labels include ``constraints`` (an empty list when none matches)."""
        request = ActorAuctionRequest(actor_ref, dict(constraints or {}))
        replies = await self._gather(self._subject(CtlOp.AUCTION_ACTOR), request.encode(), timeout_s)
        return _auction_acks(ActorAuctionAck, replies)

    async def auction_provider(
        self,
        provider_ref: str,
        link_name: str = DEFAULT_LINK_NAME,
        constraints: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> list[ProviderAuctionAck]:
        """The matching hosts that do not already run ``provider_ref`` under ``link_name``."""
        request = ProviderAuctionRequest(provider_ref, link_name, dict(constraints or {}))
        replies = await self._gather(self._subject(CtlOp.AUCTION_PROVIDER), request.encode(), timeout_s)
        return _auction_acks(ProviderAuctionAck, replies)

    async def put_link(self, link: LinkDefinition) -> None:
        await self._ack(self._subject(CtlOp.LINKDEFS_PUT), link.encode_json())

    async def delete_link(self, actor_id: str, contract_id: str, link_name: str = DEFAULT_LINK_NAME) -> None:
        request = LinkDeleteRequest(actor_id, contract_id, link_name)
        await self._ack(self._subject(CtlOp.LINKDEFS_DEL), request.encode())

    async def put_registries(self, credentials: Mapping[str, RegistryCredential]) -> int:
        """Send registry credentials to every host; returns how many hosts accepted them."""
        request = RegistriesPutRequest(dict(credentials))
        replies = await self._gather(self._subject(CtlOp.REGISTRIES_PUT), request.encode(), None)
        acks = _decode_each(Ack, replies)
        if not acks:
            raise self.no_hosts()
        refused = [a.error for a in acks if not a.accepted]
        if refused:
            raise CommandRejectedError(refused[0])
        return len(acks)

    # --- host-targeted commands -----------------------------------------------------------------------------------

    async def start_actor(
        self,
        host_id: str,
        actor_ref: str,
        count: int = DEFAULT_LAUNCH_COUNT,
        annotations: Mapping[str, str] | None = None,
    ) -> None:
        cmd = LaunchActorCommand(actor_ref, count, dict(annotations or {}), host_id)
        await self._command(CtlOp.LAUNCH_ACTOR, host_id, cmd)

    async def stop_actor(
        self, host_id: str, actor_id: str, count: int = STOP_ALL, annotations: Mapping[str, str] | None = None
    ) -> None:
        """Stop ``count`` instances (0 = all) whose annotations include ``annotations``."""
        cmd = StopActorCommand(actor_id, count, dict(annotations or {}), host_id)
        await self._command(CtlOp.STOP_ACTOR, host_id, cmd)

    async def scale_actor(
        self,
        host_id: str,
        actor_ref: str,
        count: int,
        *,
        actor_id: str = "",
        annotations: Mapping[str, str] | None = None,
    ) -> None:
        cmd = ScaleActorCommand(actor_ref, count, actor_id, dict(annotations or {}), host_id)
        await self._command(CtlOp.SCALE_ACTOR, host_id, cmd)

    async def update_actor(
        self, host_id: str, actor_id: str, new_actor_ref: str, annotations: Mapping[str, str] | None = None
    ) -> None:
        cmd = UpdateActorCommand(actor_id, new_actor_ref, dict(annotations or {}), host_id)
        await self._command(CtlOp.UPDATE_ACTOR, host_id, cmd)

    async def start_provider(
        self,
        host_id: str,
        provider_ref: str,
        link_name: str = DEFAULT_LINK_NAME,
        configuration: str | None = None,
        annotations: Mapping[str, str] | None = None,
    ) -> None:
        cmd = LaunchProviderCommand(provider_ref, link_name, configuration, dict(annotations or {}), host_id)
        await self._command(CtlOp.LAUNCH_PROVIDER, host_id, cmd)

    async def stop_provider(
        self,
        host_id: str,
        provider_id: str,
        link_name: str = DEFAULT_LINK_NAME,
        contract_id: str = "",
        annotations: Mapping[str, str] | None = None,
    ) -> None:
        cmd = StopProviderCommand(provider_id, link_name, contract_id, dict(annotations or {}), host_id)
        await self._command(CtlOp.STOP_PROVIDER, host_id, cmd)

    async def stop_host(self, host_id: str, timeout_ms: int | None = None) -> None:
        await self._command(CtlOp.STOP_HOST, host_id, StopHostCommand(host_id, timeout_ms))

    async def put_label(self, host_id: str, key: str, value: str) -> None:
        await self._command(CtlOp.LABEL_PUT, host_id, LabelPutRequest(key, value))

    async def delete_label(self, host_id: str, key: str) -> None:
        await self._command(CtlOp.LABEL_DEL, host_id, LabelDeleteRequest(key))

    # --- lookups built from the operations above ------------------------------------------------------------------

    async def find_host(self, text: str) -> Host:
        """The host whose id, unique id prefix or friendly name is ``text``."""
        hosts = await self.ping_hosts()
        if not hosts:
            raise self.no_hosts()
        exact = [h for h in hosts if text in (h.id, h.friendly_name)]
        found = exact or [h for h in hosts if h.id.startswith(text)]
        if len(found) == 1:
            return found[0]
        known = ", ".join(f"{h.id[:12]}… ({h.friendly_name})" for h in hosts)
        problem = "matches several hosts" if found else "matches no host"
        raise HostNotFoundError(f"{text!r} {problem} on lattice {self.lattice!r}; hosts: {known}")

    async def provider_contract(self, host_id: str, provider_id: str, link_name: str) -> str:
        """The contract id of a provider a host runs (from its inventory)."""
        inventory = await self.get_inventory(host_id)
        for provider in inventory.providers:
            if provider.id == provider_id and provider.link_name == link_name:
                return provider.contract_id
        raise NotFoundError(f"host {host_id[:12]}… runs no provider {provider_id} with link name {link_name!r}")

    # --- transport ------------------------------------------------------------------------------------------------

    def _subject(self, op: CtlOp, host_id: str = "") -> str:
        if host_id and not keys.is_public_key(host_id, keys.KeyType.SERVER):
            subjects.check_token(host_id, "host id")
        return subjects.ctl(self.lattice, op, host_id, self.prefix)

    async def _command(self, op: CtlOp, host_id: str, payload: JsonPayload) -> None:
        await self._ack(self._subject(op, host_id), payload.encode(), host_id=host_id)

    async def _ack(self, subject: str, body: bytes, *, host_id: str = "") -> None:
        reply = await self._request(subject, body, host_id=host_id)
        ack = Ack.decode(reply)
        if not ack.accepted:
            raise CommandRejectedError(ack.error, host_id)

    async def _request(self, subject: str, body: bytes, *, host_id: str = "") -> bytes:
        timeout = self.timeouts.request_s
        try:
            msg = await self.nc.request(subject, body, timeout=timeout)
        except NoRespondersError as exc:
            if host_id:
                raise HostNotFoundError(
                    f"host {host_id} does not answer on lattice {self.lattice!r}: "
                    "list hosts with `lattice ctl get hosts`"
                ) from exc
            raise self.no_hosts() from exc
        except TimeoutError as exc:  # nats.errors.TimeoutError is an asyncio.TimeoutError
            who = f"host {host_id[:12]}…" if host_id else f"lattice {self.lattice!r}"
            raise ControlTimeout(f"no reply from {who} within {timeout:g}s (raise --timeout?)") from exc
        except NatsError as exc:
            raise ControlUnreachable(f"control request to {self.url} failed: {exc}") from exc
        return bytes(msg.data)

    async def _gather(
        self, subject: str, body: bytes, timeout_s: float | None, enough: Callable[[list[bytes]], bool] | None = None
    ) -> list[bytes]:
        """Publish once and collect every reply that arrives within the gather timeout (or until ``enough``)."""
        window = timeout_s if timeout_s is not None else self.timeouts.gather_s
        replies: list[bytes] = []
        try:
            inbox = self.nc.new_inbox()
            sub = await self.nc.subscribe(inbox)
            try:
                await self.nc.publish(subject, body, reply=inbox)
                await self.nc.flush()
                await _collect(sub, window, replies, enough)
            finally:
                await sub.unsubscribe()
        except NatsError as exc:
            raise ControlUnreachable(f"control request to {self.url} failed: {exc}") from exc
        return replies


async def _collect(
    sub: Any, window: float, into: list[bytes], enough: Callable[[list[bytes]], bool] | None = None
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + window
    while (left := deadline - loop.time()) > 0:
        try:
            msg = await sub.next_msg(timeout=left)
        except TimeoutError:
            return
        status = msg.headers.get(STATUS_HEADER) if msg.headers else None
        if status == NO_RESPONDERS_STATUS:  # the server's notice that nobody listens: no reply will come
            return
        if status is None:
            into.append(bytes(msg.data))
            if enough is not None and enough(into):
                return


def _reply_object(data: bytes, what: str, host_id: str = "") -> dict[str, Any]:
    """A query reply as a JSON object; a failure ack in its place becomes :class:`CommandRejectedError`."""
    body = loads(data, what)
    if body.get("accepted") is False:
        raise CommandRejectedError(str(body.get("error") or ""), host_id)
    return body


def _decode_each(kind: type[P], replies: list[bytes], quiet: bool = False) -> list[P]:
    out: list[P] = []
    for data in replies:
        try:
            out.append(kind.decode(data))
        except PayloadError as exc:
            if not quiet:
                log.warning("ignoring a malformed %s: %s", kind.WHAT, exc)
    return out


def _auction_acks(kind: type[P], replies: list[bytes]) -> list[P]:
    """Auction acks; when hosts answered only with failure acks (a request they refused), raise that refusal."""
    acks, refusals = [], []
    for data in replies:
        try:
            body = loads(data, kind.WHAT)
        except PayloadError as exc:
            log.warning("ignoring a malformed %s: %s", kind.WHAT, exc)
            continue
        if body.get("accepted") is False:
            refusals.append(str(body.get("error") or ""))
            continue
        acks.extend(_decode_each(kind, [data]))
    if not acks and refusals:
        raise CommandRejectedError(refusals[0])
    return acks
