"""``wasmcloud:messaging`` (docs/protocol.md §9.3): publish/request from actors, and deliveries to subscribed actors."""

from __future__ import annotations

import msgspec

from lattice.codec import U32, Omit
from lattice.wire.codec import WireStruct

CONTRACT_ID = "wasmcloud:messaging"
PUBLISH = "Messaging.Publish"
REQUEST = "Messaging.Request"
HANDLE_MESSAGE = "MessageSubscriber.HandleMessage"


class _Message(WireStruct, frozen=True):
    """``{subject, replyTo?, body}``: the shape of PubMessage, ReplyMessage and SubMessage."""

    WIRE_ORDER = ("subject", "body", "reply_to")
    subject: str
    body: bytes = b""
    reply_to: Omit[str | None] = msgspec.field(default=None, name="replyTo")


class PubMessage(_Message, frozen=True):
    pass


class RequestMessage(WireStruct, frozen=True):
    subject: str
    body: bytes = b""
    timeout_ms: U32 = msgspec.field(default=0, name="timeoutMs")


class ReplyMessage(_Message, frozen=True):
    pass


class SubMessage(_Message, frozen=True):
    pass
