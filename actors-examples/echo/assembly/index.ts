// echo: answers every HTTP request with a JSON description of it.

import { HANDLE_REQUEST, HttpRequest, HttpResponse } from "../../lib/httpserver";
import { JsonObject, jsonString, jsonStringArray } from "../../lib/json";
import { guestCall, register, Result } from "../../lib/wapc";

function handleRequest(payload: ArrayBuffer): Result<ArrayBuffer> {
  const decoded = HttpRequest.decode(payload);
  if (!decoded.isOk) return Result.error<ArrayBuffer>(decoded.error()!);
  const req = decoded.get();
  const json = new JsonObject()
    .str("method", req.method)
    .str("path", req.path)
    .str("query", req.queryString)
    .raw("headers", headersJson(req))
    .int("body_size", req.body.byteLength);
  return Result.ok<ArrayBuffer>(HttpResponse.json(200, json.toString()).encode());
}

function headersJson(req: HttpRequest): string {
  const names = req.header.keys();
  let out = "{";
  for (let i = 0; i < names.length; i++) {
    if (i > 0) out += ",";
    out += jsonString(names[i]) + ":" + jsonStringArray(req.header.get(names[i]));
  }
  return out + "}";
}

register(HANDLE_REQUEST, handleRequest);

export function __guest_call(operationLen: usize, payloadLen: usize): bool {
  return guestCall(operationLen, payloadLen);
}
