// kvcounter: counts requests per path in the linked keyvalue store.
// KeyValue.Increment on key "counter:<path>" by 1; replies {"counter": N}, or 500 {"error": "..."}.

import { HANDLE_REQUEST, HttpRequest, HttpResponse } from "../../lib/httpserver";
import { JsonObject } from "../../lib/json";
import { KeyValue } from "../../lib/keyvalue";
import { guestCall, messageOf, register, Result } from "../../lib/wapc";

const KEY_PREFIX = "counter:";

function handleRequest(payload: ArrayBuffer): Result<ArrayBuffer> {
  const decoded = HttpRequest.decode(payload);
  if (!decoded.isOk) return Result.error<ArrayBuffer>(decoded.error()!);
  const counted = new KeyValue().increment(KEY_PREFIX + decoded.get().path, 1);
  const res = counted.isOk
    ? HttpResponse.json(200, new JsonObject().int("counter", counted.get()).toString())
    : HttpResponse.json(500, new JsonObject().str("error", messageOf(counted)).toString());
  return Result.ok<ArrayBuffer>(res.encode());
}

register(HANDLE_REQUEST, handleRequest);

export function __guest_call(operationLen: usize, payloadLen: usize): bool {
  return guestCall(operationLen, payloadLen);
}
