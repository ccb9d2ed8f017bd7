// Single MessagePack values as whole payloads: operations whose input or output is a plain String, Boolean or
// integer (wasmbus encodes a String input as a MessagePack str, never as raw bytes).

import { MsgReader } from "./msgpack";
import { failure, readerError, Result } from "./wapc";

export { encodeString, encodeInt } from "./msgpack";

export function decodeString(payload: ArrayBuffer): Result<string> {
  const r = new MsgReader(payload);
  const v = r.readString();
  const err = readerError(r);
  return err === null ? Result.ok<string>(v) : failure<string>("decoding str", err);
}

export function decodeBool(payload: ArrayBuffer): Result<bool> {
  const r = new MsgReader(payload);
  const v = r.readBool();
  const err = readerError(r);
  return err === null ? Result.ok<bool>(v) : failure<bool>("decoding bool", err);
}

export function decodeU32(payload: ArrayBuffer): Result<u32> {
  const r = new MsgReader(payload);
  const v = r.readU32();
  const err = readerError(r);
  return err === null ? Result.ok<u32>(v) : failure<u32>("decoding u32", err);
}

export function decodeI32(payload: ArrayBuffer): Result<i32> {
  const r = new MsgReader(payload);
  const v = r.readI32();
  const err = readerError(r);
  return err === null ? Result.ok<i32>(v) : failure<i32>("decoding i32", err);
}
