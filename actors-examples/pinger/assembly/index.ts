// pinger: on every HTTP request, calls the actor with call alias "ponger" (Pingpong.Ping, empty payload) and
// replies {"pong": "<ponger's answer>"}, or 500 {"error": "..."} when the call fails.

import { HANDLE_REQUEST, HttpRequest, HttpResponse } from "../../lib/httpserver";
import { JsonObject } from "../../lib/json";
import { decodeString } from "../../lib/values";
import { guestCall, hostCall, messageOf, propagate, register, Result } from "../../lib/wapc";

const PONGER_ALIAS = "ponger";
const PING = "Pingpong.Ping";

function ping(): Result<string> {
  // Actor-to-actor: binding "" and the target's call alias (or public key) as namespace.
  const res = hostCall("", PONGER_ALIAS, PING, new ArrayBuffer(0));
  return res.isOk ? decodeString(res.get()) : propagate<string, ArrayBuffer>(res);
}

function handleRequest(payload: ArrayBuffer): Result<ArrayBuffer> {
  const decoded = HttpRequest.decode(payload);
  if (!decoded.isOk) return Result.error<ArrayBuffer>(decoded.error()!);
  const pong = ping();
  const res = pong.isOk
    ? HttpResponse.json(200, new JsonObject().str("pong", pong.get()).toString())
    : HttpResponse.json(500, new JsonObject().str("error", messageOf(pong)).toString());
  return Result.ok<ArrayBuffer>(res.encode());
}

register(HANDLE_REQUEST, handleRequest);

export function __guest_call(operationLen: usize, payloadLen: usize): bool {
  return guestCall(operationLen, payloadLen);
}
