// uppercase: for every message with a replyTo, publishes the body upper-cased (ASCII a-z only) to replyTo
// through the "default" messaging link. Messages without replyTo are accepted and dropped.

import { HANDLE_MESSAGE, Message, Messaging } from "../../lib/messaging";
import { guestCall, register, Result } from "../../lib/wapc";

function upperAscii(body: ArrayBuffer): ArrayBuffer {
  const out = body.slice(0);
  const base = changetype<usize>(out);
  for (let i = 0; i < out.byteLength; i++) {
    const c = load<u8>(base + <usize>i);
    if (c >= 0x61 && c <= 0x7a) store<u8>(base + <usize>i, c - 0x20);
  }
  return out;
}

function handleMessage(payload: ArrayBuffer): Result<ArrayBuffer> {
  const decoded = Message.decode(payload);
  if (!decoded.isOk) return Result.error<ArrayBuffer>(decoded.error()!);
  const msg = decoded.get();
  const replyTo = msg.replyTo;
  if (replyTo !== null) {
    const err = new Messaging().publish(new Message(replyTo, upperAscii(msg.body)));
    if (err !== null) return Result.error<ArrayBuffer>(err);
  }
  return Result.ok<ArrayBuffer>(new ArrayBuffer(0));
}

register(HANDLE_MESSAGE, handleMessage);

export function __guest_call(operationLen: usize, payloadLen: usize): bool {
  return guestCall(operationLen, payloadLen);
}
