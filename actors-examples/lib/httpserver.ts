// wasmcloud:httpserver — HttpServer.HandleRequest (provider → actor).
//   HttpRequest  {method: str, path: str, queryString: str, header: map<str,[str]>, body: bin}
//   HttpResponse {statusCode: u16, header: map<str,[str]>, body: bin}

import { MsgReader, MsgWriter } from "./msgpack";
import { failure, readerError, Result } from "./wapc";

export const HTTPSERVER = "wasmcloud:httpserver";
export const HANDLE_REQUEST = "HttpServer.HandleRequest";

export type HeaderMap = Map<string, Array<string>>;

export class HttpRequest {
  method: string = "";
  path: string = "";
  queryString: string = "";
  header: HeaderMap = new Map<string, Array<string>>();
  body: ArrayBuffer = new ArrayBuffer(0);

  /** Decodes a request; unknown fields are skipped, body may be bin or str. */
  static decode(payload: ArrayBuffer): Result<HttpRequest> {
    const r = new MsgReader(payload);
    const req = new HttpRequest();
    const fields = r.readMapSize();
    for (let i: u32 = 0; i < fields && r.ok(); i++) {
      const name = r.readString();
      if (name == "method") req.method = r.readString();
      else if (name == "path") req.path = r.readString();
      else if (name == "queryString") req.queryString = r.readString();
      else if (name == "header") req.header = readHeaderMap(r);
      else if (name == "body") req.body = r.readBytes();
      else r.skip();
    }
    const err = readerError(r);
    return err === null ? Result.ok<HttpRequest>(req) : failure<HttpRequest>("decoding HttpRequest", err);
  }

  encode(): ArrayBuffer {
    const w = new MsgWriter();
    w.writeMapSize(5);
    w.writeString("method");
    w.writeString(this.method);
    w.writeString("path");
    w.writeString(this.path);
    w.writeString("queryString");
    w.writeString(this.queryString);
    w.writeString("header");
    writeHeaderMap(w, this.header);
    w.writeString("body");
    w.writeBytes(this.body);
    return w.finish();
  }
}

export class HttpResponse {
  statusCode: u16 = 200;
  header: HeaderMap = new Map<string, Array<string>>();
  body: ArrayBuffer = new ArrayBuffer(0);

  constructor(statusCode: u16 = 200) {
    this.statusCode = statusCode;
  }

  /** A response with `Content-Type: application/json` and `json` as the UTF-8 body. */
  static json(statusCode: u16, json: string): HttpResponse {
    const res = new HttpResponse(statusCode);
    res.header.set("Content-Type", ["application/json"]);
    res.body = String.UTF8.encode(json);
    return res;
  }

  encode(): ArrayBuffer {
    const w = new MsgWriter();
    w.writeMapSize(3);
    w.writeString("statusCode");
    w.writeUInt(this.statusCode);
    w.writeString("header");
    writeHeaderMap(w, this.header);
    w.writeString("body");
    w.writeBytes(this.body);
    return w.finish();
  }

  static decode(payload: ArrayBuffer): Result<HttpResponse> {
    const r = new MsgReader(payload);
    const res = new HttpResponse();
    const fields = r.readMapSize();
    for (let i: u32 = 0; i < fields && r.ok(); i++) {
      const name = r.readString();
      if (name == "statusCode") res.statusCode = r.readU16();
      else if (name == "header") res.header = readHeaderMap(r);
      else if (name == "body") res.body = r.readBytes();
      else r.skip();
    }
    const err = readerError(r);
    return err === null ? Result.ok<HttpResponse>(res) : failure<HttpResponse>("decoding HttpResponse", err);
  }
}

/** map<str,[str]>; a bare str value is accepted as a one-element list, nil as an empty map. */
function readHeaderMap(r: MsgReader): HeaderMap {
  const out = new Map<string, Array<string>>();
  if (r.isNextNil()) return out;
  const n = r.readMapSize();
  for (let i: u32 = 0; i < n && r.ok(); i++) {
    const name = r.readString();
    const values = new Array<string>();
    if (r.isNextString()) {
      values.push(r.readString());
    } else {
      const count = r.readArraySize();
      for (let j: u32 = 0; j < count && r.ok(); j++) values.push(r.readString());
    }
    if (out.has(name)) {
      const existing = out.get(name);
      for (let j = 0; j < values.length; j++) existing.push(values[j]);
    } else {
      out.set(name, values);
    }
  }
  return out;
}

function writeHeaderMap(w: MsgWriter, header: HeaderMap): void {
  const names = header.keys();
  w.writeMapSize(<u32>names.length);
  for (let i = 0; i < names.length; i++) {
    const values = header.get(names[i]);
    w.writeString(names[i]);
    w.writeArraySize(<u32>values.length);
    for (let j = 0; j < values.length; j++) w.writeString(values[j]);
  }
}
