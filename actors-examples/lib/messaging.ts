// wasmcloud:messaging, docs/protocol.md §9.3:
//   Messaging.Publish               PubMessage {subject, replyTo?, body: bin}        → empty   (actor → provider)
//   Messaging.Request               RequestMessage {subject, body, timeoutMs: u32}   → ReplyMessage
//   MessageSubscriber.HandleMessage SubMessage {subject, replyTo?, body}             → empty   (provider → actor)
// PubMessage, SubMessage and ReplyMessage share one shape; an absent replyTo is omitted, never nil.

import { MsgReader, MsgWriter } from "./msgpack";
import { DEFAULT_BINDING, failure, hostCall, propagate, readerError, Result } from "./wapc";

export const MESSAGING = "wasmcloud:messaging";
export const HANDLE_MESSAGE = "MessageSubscriber.HandleMessage";

/** {subject, replyTo?, body}: PubMessage, SubMessage and ReplyMessage. */
export class Message {
  constructor(
    public subject: string = "",
    public body: ArrayBuffer = new ArrayBuffer(0),
    public replyTo: string | null = null,
  ) {}

  encode(): ArrayBuffer {
    const w = new MsgWriter();
    const replyTo = this.replyTo;
    w.writeMapSize(replyTo === null ? 2 : 3);
    w.writeString("subject");
    w.writeString(this.subject);
    if (replyTo !== null) {
      w.writeString("replyTo");
      w.writeString(replyTo);
    }
    w.writeString("body");
    w.writeBytes(this.body);
    return w.finish();
  }

  /** Unknown fields are skipped; replyTo may be absent or nil; body may be bin or str. */
  static decode(payload: ArrayBuffer): Result<Message> {
    const r = new MsgReader(payload);
    const msg = new Message();
    const fields = r.readMapSize();
    for (let i: u32 = 0; i < fields && r.ok(); i++) {
      const name = r.readString();
      if (name == "subject") msg.subject = r.readString();
      else if (name == "replyTo") msg.replyTo = r.isNextNil() ? null : r.readString();
      else if (name == "body") msg.body = r.readBytes();
      else r.skip();
    }
    const err = readerError(r);
    return err === null ? Result.ok<Message>(msg) : failure<Message>("decoding message", err);
  }
}

export type PubMessage = Message;
export type SubMessage = Message;
export type ReplyMessage = Message;

export class RequestMessage {
  constructor(public subject: string, public body: ArrayBuffer, public timeoutMs: u32) {}

  encode(): ArrayBuffer {
    const w = new MsgWriter();
    w.writeMapSize(3);
    w.writeString("subject");
    w.writeString(this.subject);
    w.writeString("body");
    w.writeBytes(this.body);
    w.writeString("timeoutMs");
    w.writeUInt(this.timeoutMs);
    return w.finish();
  }
}

/** Client for one messaging link (binding = link name). */
export class Messaging {
  constructor(public binding: string = DEFAULT_BINDING) {}

  /** Returns null on success, else the error. */
  publish(msg: PubMessage): Error | null {
    return hostCall(this.binding, MESSAGING, "Messaging.Publish", msg.encode()).error();
  }

  request(msg: RequestMessage): Result<ReplyMessage> {
    const res = hostCall(this.binding, MESSAGING, "Messaging.Request", msg.encode());
    return res.isOk ? Message.decode(res.get()) : propagate<ReplyMessage, ArrayBuffer>(res);
  }
}
