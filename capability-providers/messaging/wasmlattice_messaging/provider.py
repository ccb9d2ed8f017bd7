"""The ``wasmcloud:messaging`` provider on NATS: per-link connections, subscriptions delivered to the actor with
``MessageSubscriber.HandleMessage`` (at most 75 at once per subscription), ``Messaging.Publish`` and
``Messaging.Request`` for the actor."""

from __future__ import annotations

import logging
from typing import Any

import nats.errors

from lattice.interfaces import PubMessage, ReplyMessage, RequestMessage, SubMessage
from lattice.interfaces.messaging import CONTRACT_ID, HANDLE_MESSAGE
from lattice.provider import LinkRefused, OperationFailed, Provider, ProviderConfigError, UnlinkedActor, operation
from lattice.provider.hostdata import nats_url
from lattice.rpc import RpcError
from lattice.wire import LinkDefinition
from wasmlattice_messaging.link import MessagingLink
from wasmlattice_messaging.settings import MessagingSettings

log = logging.getLogger(__name__)


def check_subject(subject: str) -> str:
    """A subject to publish to: no spaces, no empty tokens, no wildcards."""
    tokens = subject.split(".")
    if not subject or any(c.isspace() for c in subject) or any(t in ("", "*", ">") for t in tokens):
        raise OperationFailed(f"{subject!r} is not a NATS subject to publish to")
    return subject


class MessagingProvider(Provider):
    contract_id = CONTRACT_ID

    async def on_start(self) -> None:
        self.connections: dict[str, MessagingLink] = {}

    async def put_link(self, link: LinkDefinition) -> None:
        try:
            settings = MessagingSettings.parse(self.values(link))
        except ProviderConfigError as exc:
            raise LinkRefused(str(exc)) from exc
        actor_id = link.actor_id

        async def deliver(message: SubMessage) -> None:
            try:
                await self.call_actor(actor_id, HANDLE_MESSAGE, message.encode())
            except RpcError as exc:
                log.warning("delivery of %s to %s failed: %s", message.subject, actor_id, exc)

        connection = MessagingLink(actor_id, settings, deliver)
        await connection.open(nats_url(self.host_data))
        self.connections[actor_id] = connection

    async def delete_link(self, link: LinkDefinition) -> None:
        connection = self.connections.pop(link.actor_id, None)
        if connection is not None:
            await connection.close()

    async def on_shutdown(self) -> None:
        for connection in list(self.connections.values()):
            await connection.close()
        self.connections.clear()

    def client(self, actor_id: str) -> Any:
        connection = self.connections.get(actor_id)
        if connection is None:
            raise UnlinkedActor("unlinked actor")
        return connection.nc

    @operation("Messaging.Publish")
    async def publish(self, actor_id: str, payload: PubMessage) -> None:
        nc = self.client(actor_id)
        reply = check_subject(payload.reply_to) if payload.reply_to else ""
        try:
            await nc.publish(check_subject(payload.subject), payload.body, reply=reply)
        except nats.errors.Error as exc:
            raise OperationFailed(f"publish to {payload.subject} failed: {exc}") from exc

    @operation("Messaging.Request")
    async def request(self, actor_id: str, payload: RequestMessage) -> ReplyMessage:
        nc = self.client(actor_id)
        timeout_ms = payload.timeout_ms or self.host_data.default_rpc_timeout_ms
        subject = check_subject(payload.subject)
        try:
            msg = await nc.request(subject, payload.body, timeout=timeout_ms / 1000)
        except nats.errors.NoRespondersError as exc:
            raise OperationFailed(f"request to {subject}: no responders") from exc
        except (TimeoutError, nats.errors.TimeoutError) as exc:
            raise OperationFailed(f"request to {subject} timed out after {timeout_ms} ms") from exc
        except nats.errors.Error as exc:
            raise OperationFailed(f"request to {subject} failed: {exc}") from exc
        return ReplyMessage(msg.subject, bytes(msg.data), msg.reply or None)
