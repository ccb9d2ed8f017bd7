// wasmcloud:keyvalue (actor → provider), docs/protocol.md §9.2:
//   KeyValue.Get       str key                          → GetResponse {value: str, exists: bool}
//   KeyValue.Set       SetRequest {key, value, expires}  → empty   (expires: u32 seconds, 0 = never)
//   KeyValue.Del       str key                          → bool (deleted)
//   KeyValue.Contains  str key                          → bool
//   KeyValue.Increment IncrementRequest {key, value: i32} → i32 (new value)

import { MsgReader, MsgWriter } from "./msgpack";
import { decodeBool, decodeI32, encodeString } from "./values";
import { DEFAULT_BINDING, failure, hostCall, propagate, readerError, Result } from "./wapc";

export const KEYVALUE = "wasmcloud:keyvalue";

export class SetRequest {
  constructor(public key: string, public value: string, public expires: u32 = 0) {}

  encode(): ArrayBuffer {
    const w = new MsgWriter();
    w.writeMapSize(3);
    w.writeString("key");
    w.writeString(this.key);
    w.writeString("value");
    w.writeString(this.value);
    w.writeString("expires");
    w.writeUInt(this.expires);
    return w.finish();
  }
}

export class IncrementRequest {
  constructor(public key: string, public value: i32) {}

  encode(): ArrayBuffer {
    const w = new MsgWriter();
    w.writeMapSize(2);
    w.writeString("key");
    w.writeString(this.key);
    w.writeString("value");
    w.writeInt(this.value);
    return w.finish();
  }
}

export class GetResponse {
  value: string = "";
  exists: bool = false;

  static decode(payload: ArrayBuffer): Result<GetResponse> {
    const r = new MsgReader(payload);
    const res = new GetResponse();
    const fields = r.readMapSize();
    for (let i: u32 = 0; i < fields && r.ok(); i++) {
      const name = r.readString();
      if (name == "value") res.value = r.readString();
      else if (name == "exists") res.exists = r.readBool();
      else r.skip();
    }
    const err = readerError(r);
    return err === null ? Result.ok<GetResponse>(res) : failure<GetResponse>("decoding GetResponse", err);
  }
}

/** Client for one keyvalue link (binding = link name). */
export class KeyValue {
  constructor(public binding: string = DEFAULT_BINDING) {}

  private call(operation: string, payload: ArrayBuffer): Result<ArrayBuffer> {
    return hostCall(this.binding, KEYVALUE, operation, payload);
  }

  get(key: string): Result<GetResponse> {
    const res = this.call("KeyValue.Get", encodeString(key));
    return res.isOk ? GetResponse.decode(res.get()) : propagate<GetResponse, ArrayBuffer>(res);
  }

  /** Returns null on success, else the error. */
  set(key: string, value: string, expires: u32 = 0): Error | null {
    return this.call("KeyValue.Set", new SetRequest(key, value, expires).encode()).error();
  }

  del(key: string): Result<bool> {
    const res = this.call("KeyValue.Del", encodeString(key));
    return res.isOk ? decodeBool(res.get()) : propagate<bool, ArrayBuffer>(res);
  }

  contains(key: string): Result<bool> {
    const res = this.call("KeyValue.Contains", encodeString(key));
    return res.isOk ? decodeBool(res.get()) : propagate<bool, ArrayBuffer>(res);
  }

  increment(key: string, by: i32): Result<i32> {
    const res = this.call("KeyValue.Increment", new IncrementRequest(key, by).encode());
    return res.isOk ? decodeI32(res.get()) : propagate<i32, ArrayBuffer>(res);
  }
}
