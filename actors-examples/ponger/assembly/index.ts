// ponger: answers Pingpong.Ping (any payload, ignored) with the MessagePack str "pong from ponger".
// Other actors reach it through its call alias "ponger" (binding "", namespace "ponger").

import { encodeString } from "../../lib/values";
import { guestCall, register, Result } from "../../lib/wapc";

const PONG = "pong from ponger";

function handlePing(payload: ArrayBuffer): Result<ArrayBuffer> {
  return Result.ok<ArrayBuffer>(encodeString(PONG));
}

register("Pingpong.Ping", handlePing);

export function __guest_call(operationLen: usize, payloadLen: usize): bool {
  return guestCall(operationLen, payloadLen);
}
