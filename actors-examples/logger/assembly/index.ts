// logger: on every HTTP request, writes an info log line through the builtin logging capability, then asks the
// builtin numbergen for a GUID and a number in [1, 100]; replies {"guid": "...", "random": n}, or 500 on error.

import { HANDLE_REQUEST, HttpRequest, HttpResponse } from "../../lib/httpserver";
import { JsonObject } from "../../lib/json";
import { info } from "../../lib/logging";
import { generateGuid, randomInRange } from "../../lib/numbergen";
import { guestCall, messageOf, register, Result } from "../../lib/wapc";

const RANDOM_MIN: u32 = 1;
const RANDOM_MAX: u32 = 100;

function errorResponse(message: string): Result<ArrayBuffer> {
  const res = HttpResponse.json(500, new JsonObject().str("error", message).toString());
  return Result.ok<ArrayBuffer>(res.encode());
}

function handleRequest(payload: ArrayBuffer): Result<ArrayBuffer> {
  const decoded = HttpRequest.decode(payload);
  if (!decoded.isOk) return Result.error<ArrayBuffer>(decoded.error()!);
  const logged = info("logger handled " + decoded.get().path);
  if (logged !== null) return errorResponse(logged.message);
  const guid = generateGuid();
  if (!guid.isOk) return errorResponse(messageOf(guid));
  const random = randomInRange(RANDOM_MIN, RANDOM_MAX);
  if (!random.isOk) return errorResponse(messageOf(random));
  const json = new JsonObject().str("guid", guid.get()).int("random", random.get());
  return Result.ok<ArrayBuffer>(HttpResponse.json(200, json.toString()).encode());
}

register(HANDLE_REQUEST, handleRequest);

export function __guest_call(operationLen: usize, payloadLen: usize): bool {
  return guestCall(operationLen, payloadLen);
}
