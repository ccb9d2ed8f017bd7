// wasmcloud:builtin:numbergen (handled by the host; the actor needs the claim, no link):
//   NumberGen.GenerateGuid   empty                     → str (UUID v4)
//   NumberGen.RandomInRange  RangeLimit {min, max: u32} → u32 in [min, max] (inclusive)
//   NumberGen.Random32       empty                     → u32

import { MsgWriter } from "./msgpack";
import { decodeString, decodeU32 } from "./values";
import { DEFAULT_BINDING, hostCall, propagate, Result } from "./wapc";

export const NUMBERGEN = "wasmcloud:builtin:numbergen";

export class RangeLimit {
  constructor(public min: u32, public max: u32) {}

  encode(): ArrayBuffer {
    const w = new MsgWriter();
    w.writeMapSize(2);
    w.writeString("min");
    w.writeUInt(this.min);
    w.writeString("max");
    w.writeUInt(this.max);
    return w.finish();
  }
}

function call(operation: string, payload: ArrayBuffer): Result<ArrayBuffer> {
  return hostCall(DEFAULT_BINDING, NUMBERGEN, operation, payload);
}

export function generateGuid(): Result<string> {
  const res = call("NumberGen.GenerateGuid", new ArrayBuffer(0));
  return res.isOk ? decodeString(res.get()) : propagate<string, ArrayBuffer>(res);
}

export function randomInRange(min: u32, max: u32): Result<u32> {
  const res = call("NumberGen.RandomInRange", new RangeLimit(min, max).encode());
  return res.isOk ? decodeU32(res.get()) : propagate<u32, ArrayBuffer>(res);
}

export function random32(): Result<u32> {
  const res = call("NumberGen.Random32", new ArrayBuffer(0));
  return res.isOk ? decodeU32(res.get()) : propagate<u32, ArrayBuffer>(res);
}
