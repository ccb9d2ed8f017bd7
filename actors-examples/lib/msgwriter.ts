// MessagePack writer: smallest encodings, bin for byte fields; see msgpack.ts for why as-msgpack's Encoder is not used.

import { Format } from "@wapc/as-msgpack/assembly/format";

const MIN_CAPACITY: i32 = 64;

/** Appends MessagePack values to a growable buffer; `finish()` returns exactly the bytes written. */
export class MsgWriter {
  private buf: ArrayBuffer = new ArrayBuffer(MIN_CAPACITY);
  private len: i32 = 0;

  finish(): ArrayBuffer {
    return this.buf.slice(0, this.len);
  }

  private reserve(n: i32): usize {
    const need = this.len + n;
    if (need > this.buf.byteLength) {
      let cap = this.buf.byteLength * 2;
      while (cap < need) cap *= 2;
      const grown = new ArrayBuffer(cap);
      memory.copy(changetype<usize>(grown), changetype<usize>(this.buf), <usize>this.len);
      this.buf = grown;
    }
    const at = changetype<usize>(this.buf) + <usize>this.len;
    this.len = need;
    return at;
  }

  private put8(v: u8): void {
    store<u8>(this.reserve(1), v);
  }

  private put16(v: u16): void {
    store<u16>(this.reserve(2), bswap<u16>(v));
  }

  private put32(v: u32): void {
    store<u32>(this.reserve(4), bswap<u32>(v));
  }

  private put64(v: u64): void {
    store<u64>(this.reserve(8), bswap<u64>(v));
  }

  private putRaw(data: ArrayBuffer): void {
    const n = data.byteLength;
    memory.copy(this.reserve(n), changetype<usize>(data), <usize>n);
  }

  writeNil(): void {
    this.put8(<u8>Format.NIL);
  }

  writeBool(v: bool): void {
    this.put8(v ? <u8>Format.TRUE : <u8>Format.FALSE);
  }

  /** Smallest encoding, as rmp and msgpack-python produce. */
  writeUInt(v: u64): void {
    if (v < 0x80) this.put8(<u8>v);
    else if (v <= <u64>u8.MAX_VALUE) {
      this.put8(<u8>Format.UINT8);
      this.put8(<u8>v);
    } else if (v <= <u64>u16.MAX_VALUE) {
      this.put8(<u8>Format.UINT16);
      this.put16(<u16>v);
    } else if (v <= <u64>u32.MAX_VALUE) {
      this.put8(<u8>Format.UINT32);
      this.put32(<u32>v);
    } else {
      this.put8(<u8>Format.UINT64);
      this.put64(v);
    }
  }

  writeInt(v: i64): void {
    if (v >= 0) this.writeUInt(<u64>v);
    else if (v >= -32) this.put8(<u8>v);
    else if (v >= <i64>i8.MIN_VALUE) {
      this.put8(<u8>Format.INT8);
      this.put8(<u8>v);
    } else if (v >= <i64>i16.MIN_VALUE) {
      this.put8(<u8>Format.INT16);
      this.put16(<u16>v);
    } else if (v >= <i64>i32.MIN_VALUE) {
      this.put8(<u8>Format.INT32);
      this.put32(<u32>v);
    } else {
      this.put8(<u8>Format.INT64);
      this.put64(<u64>v);
    }
  }

  writeString(s: string): void {
    const data = String.UTF8.encode(s);
    const n = <u32>data.byteLength;
    if (n < 32) this.put8(<u8>Format.FIXSTR | <u8>n);
    else if (n <= <u32>u8.MAX_VALUE) {
      this.put8(<u8>Format.STR8);
      this.put8(<u8>n);
    } else if (n <= <u32>u16.MAX_VALUE) {
      this.put8(<u8>Format.STR16);
      this.put16(<u16>n);
    } else {
      this.put8(<u8>Format.STR32);
      this.put32(n);
    }
    this.putRaw(data);
  }

  /** Always bin, also when empty (0xc4 0x00). */
  writeBytes(data: ArrayBuffer): void {
    const n = <u32>data.byteLength;
    if (n <= <u32>u8.MAX_VALUE) {
      this.put8(<u8>Format.BIN8);
      this.put8(<u8>n);
    } else if (n <= <u32>u16.MAX_VALUE) {
      this.put8(<u8>Format.BIN16);
      this.put16(<u16>n);
    } else {
      this.put8(<u8>Format.BIN32);
      this.put32(n);
    }
    this.putRaw(data);
  }

  writeArraySize(n: u32): void {
    if (n < 16) this.put8(<u8>Format.FIXARRAY | <u8>n);
    else if (n <= <u32>u16.MAX_VALUE) {
      this.put8(<u8>Format.ARRAY16);
      this.put16(<u16>n);
    } else {
      this.put8(<u8>Format.ARRAY32);
      this.put32(n);
    }
  }

  writeMapSize(n: u32): void {
    if (n < 16) this.put8(<u8>Format.FIXMAP | <u8>n);
    else if (n <= <u32>u16.MAX_VALUE) {
      this.put8(<u8>Format.MAP16);
      this.put16(<u16>n);
    } else {
      this.put8(<u8>Format.MAP32);
      this.put32(n);
    }
  }
}

/** Encodes a single MessagePack str (the payload of operations whose input or output is a plain String). */
export function encodeString(s: string): ArrayBuffer {
  const w = new MsgWriter();
  w.writeString(s);
  return w.finish();
}

/** Encodes a single MessagePack integer. */
export function encodeInt(v: i64): ArrayBuffer {
  const w = new MsgWriter();
  w.writeInt(v);
  return w.finish();
}
