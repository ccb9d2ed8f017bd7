"""``wasmcloud:messaging`` (docs/protocol.md §9.3): publish/request from actors, and deliveries to subscribed actors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from lattice.interfaces._fields import U32_MAX, WireStruct, as_map, get_bytes, get_int, get_opt_str, get_str

CONTRACT_ID = "wasmcloud:messaging"
PUBLISH = "Messaging.Publish"
REQUEST = "Messaging.Request"
HANDLE_MESSAGE = "MessageSubscriber.HandleMessage"


def _with_reply(out: dict[str, Any], reply_to: str | None) -> dict[str, Any]:
    if reply_to is not None:
        out["replyTo"] = reply_to
    return out


@dataclass(frozen=True)
class _Message(WireStruct):
    """``{subject, replyTo?, body}``: the shape of PubMessage, ReplyMessage and SubMessage."""

    subject: str
    body: bytes = b""
    reply_to: str | None = None

    def to_wire(self) -> dict[str, Any]:
        return _with_reply({"subject": self.subject, "body": bytes(self.body)}, self.reply_to)

    @classmethod
    def from_wire(cls, body: Any) -> Self:
        w = cls.__name__
        m = as_map(body, w)
        return cls(get_str(m, "subject", w), get_bytes(m, "body", w), get_opt_str(m, "replyTo", w))


@dataclass(frozen=True)
class PubMessage(_Message):
    pass


@dataclass(frozen=True)
class RequestMessage(WireStruct):
    subject: str
    body: bytes = b""
    timeout_ms: int = 0

    def to_wire(self) -> dict[str, Any]:
        return {"subject": self.subject, "body": bytes(self.body), "timeoutMs": self.timeout_ms}

    @classmethod
    def from_wire(cls, body: Any) -> Self:
        w = "RequestMessage"
        m = as_map(body, w)
        return cls(get_str(m, "subject", w), get_bytes(m, "body", w), get_int(m, "timeoutMs", w, 0, U32_MAX))


@dataclass(frozen=True)
class ReplyMessage(_Message):
    pass


@dataclass(frozen=True)
class SubMessage(_Message):
    pass
