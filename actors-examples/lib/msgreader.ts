// MessagePack reader: strict and bounds-checked; see msgpack.ts for why as-msgpack's Decoder is not used.

import { Format } from "@wapc/as-msgpack/assembly/format";
import { isValidUtf8 } from "./utf8";

/** Reads MessagePack values from one buffer; errors are latched, reads after an error return zero values. */
export class MsgReader {
  private readonly buf: ArrayBuffer;
  private readonly base: usize;
  private pos: i32 = 0;
  private failure: string | null = null;

  constructor(buf: ArrayBuffer) {
    this.buf = buf;
    this.base = changetype<usize>(buf);
  }

  error(): string | null {
    return this.failure;
  }

  ok(): bool {
    return this.failure === null;
  }

  remaining(): i32 {
    return this.buf.byteLength - this.pos;
  }

  fail(message: string): void {
    if (this.failure === null) this.failure = message + " at byte " + this.pos.toString();
  }

  /** Fails unless every byte was consumed (catches trailing garbage). */
  expectEnd(): void {
    if (this.ok() && this.remaining() != 0) this.fail("trailing bytes after value");
  }

  private need(n: i32): bool {
    if (this.failure !== null) return false;
    if (n < 0 || this.remaining() < n) {
      this.fail("unexpected end of payload");
      return false;
    }
    return true;
  }

  peek(): u8 {
    if (!this.need(1)) return 0;
    return load<u8>(this.base + <usize>this.pos);
  }

  private u8(): u8 {
    if (!this.need(1)) return 0;
    const v = load<u8>(this.base + <usize>this.pos);
    this.pos += 1;
    return v;
  }

  private u16(): u16 {
    if (!this.need(2)) return 0;
    const v = bswap<u16>(load<u16>(this.base + <usize>this.pos));
    this.pos += 2;
    return v;
  }

  private u32(): u32 {
    if (!this.need(4)) return 0;
    const v = bswap<u32>(load<u32>(this.base + <usize>this.pos));
    this.pos += 4;
    return v;
  }

  private u64(): u64 {
    if (!this.need(8)) return 0;
    const v = bswap<u64>(load<u64>(this.base + <usize>this.pos));
    this.pos += 8;
    return v;
  }

  private take(n: u32): ArrayBuffer {
    if (n > <u32>i32.MAX_VALUE || !this.need(<i32>n)) return new ArrayBuffer(0);
    const out = this.buf.slice(this.pos, this.pos + <i32>n);
    this.pos += <i32>n;
    return out;
  }

  private skipBytes(n: u32): void {
    if (n > <u32>i32.MAX_VALUE || !this.need(<i32>n)) return;
    this.pos += <i32>n;
  }

  /** Consumes a nil if one is next. */
  isNextNil(): bool {
    if (this.ok() && this.remaining() > 0 && this.peek() == <u8>Format.NIL) {
      this.pos += 1;
      return true;
    }
    return false;
  }

  /** True if a str comes next (nothing is consumed). */
  isNextString(): bool {
    if (!this.ok() || this.remaining() == 0) return false;
    const lead = this.peek();
    return (lead & 0xe0) == <u8>Format.FIXSTR || (lead >= <u8>Format.STR8 && lead <= <u8>Format.STR32);
  }

  /** A container length must be plausible: every element takes at least one byte. */
  private count(n: u32, perItem: u32): u32 {
    if (<u64>n * <u64>perItem > <u64>this.remaining()) {
      this.fail("container length " + n.toString() + " exceeds payload");
      return 0;
    }
    return n;
  }

  readMapSize(): u32 {
    const lead = this.u8();
    if ((lead & 0xf0) == <u8>Format.FIXMAP) return this.count(lead & 0x0f, 2);
    if (lead == <u8>Format.MAP16) return this.count(this.u16(), 2);
    if (lead == <u8>Format.MAP32) return this.count(this.u32(), 2);
    this.fail("expected map, got 0x" + lead.toString(16));
    return 0;
  }

  readArraySize(): u32 {
    const lead = this.u8();
    if ((lead & 0xf0) == <u8>Format.FIXARRAY) return this.count(lead & 0x0f, 1);
    if (lead == <u8>Format.ARRAY16) return this.count(this.u16(), 1);
    if (lead == <u8>Format.ARRAY32) return this.count(this.u32(), 1);
    this.fail("expected array, got 0x" + lead.toString(16));
    return 0;
  }

  /** Length of a str (isStr) or bin (!isStr) whose lead byte was already read; -1 if neither. */
  private rawLength(lead: u8, isStr: bool): i64 {
    if (isStr) {
      if ((lead & 0xe0) == <u8>Format.FIXSTR) return <i64>(lead & 0x1f);
      if (lead == <u8>Format.STR8) return <i64>this.u8();
      if (lead == <u8>Format.STR16) return <i64>this.u16();
      if (lead == <u8>Format.STR32) return <i64>this.u32();
      return -1;
    }
    if (lead == <u8>Format.BIN8) return <i64>this.u8();
    if (lead == <u8>Format.BIN16) return <i64>this.u16();
    if (lead == <u8>Format.BIN32) return <i64>this.u32();
    return -1;
  }

  /** A str; its bytes must be valid UTF-8 (AssemblyScript's decoder would silently mangle invalid input). */
  readString(): string {
    const lead = this.u8();
    const n = this.rawLength(lead, true);
    if (n < 0) {
      this.fail("expected str, got 0x" + lead.toString(16));
      return "";
    }
    const start = this.pos;
    const bytes = this.take(<u32>n);
    if (this.ok() && !isValidUtf8(changetype<usize>(bytes), bytes.byteLength)) {
      this.pos = start;
      this.fail("str is not valid UTF-8");
      return "";
    }
    return String.UTF8.decode(bytes);
  }

  /** A byte field: bin (preferred), str (sent by some hosts) or nil (empty). */
  readBytes(): ArrayBuffer {
    if (this.isNextNil()) return new ArrayBuffer(0);
    const lead = this.u8();
    let n = this.rawLength(lead, false);
    if (n < 0) n = this.rawLength(lead, true);
    if (n < 0) {
      this.fail("expected bin or str, got 0x" + lead.toString(16));
      return new ArrayBuffer(0);
    }
    return this.take(<u32>n);
  }

  readBool(): bool {
    const lead = this.u8();
    if (lead == <u8>Format.TRUE) return true;
    if (lead == <u8>Format.FALSE) return false;
    this.fail("expected bool, got 0x" + lead.toString(16));
    return false;
  }

  /** Any MessagePack integer as i64 (uint64 above i64.MAX is an error). */
  readInt(): i64 {
    const lead = this.u8();
    if (lead < 0x80) return <i64>lead;
    if (lead >= 0xe0) return <i64>(<i8>lead);
    switch (lead) {
      case <u8>Format.UINT8: return <i64>this.u8();
      case <u8>Format.UINT16: return <i64>this.u16();
      case <u8>Format.UINT32: return <i64>this.u32();
      case <u8>Format.UINT64: {
        const v = this.u64();
        if (v > <u64>i64.MAX_VALUE) this.fail("integer too large");
        return <i64>v;
      }
      case <u8>Format.INT8: return <i64>(<i8>this.u8());
      case <u8>Format.INT16: return <i64>(<i16>this.u16());
      case <u8>Format.INT32: return <i64>(<i32>this.u32());
      case <u8>Format.INT64: return <i64>this.u64();
    }
    this.fail("expected integer, got 0x" + lead.toString(16));
    return 0;
  }

  private ranged(v: i64, min: i64, max: i64, what: string): i64 {
    if (v < min || v > max) {
      this.fail("integer " + v.toString() + " out of range for " + what);
      return 0;
    }
    return v;
  }

  readU16(): u16 {
    return <u16>this.ranged(this.readInt(), 0, <i64>u16.MAX_VALUE, "u16");
  }

  readU32(): u32 {
    return <u32>this.ranged(this.readInt(), 0, <i64>u32.MAX_VALUE, "u32");
  }

  readI32(): i32 {
    return <i32>this.ranged(this.readInt(), <i64>i32.MIN_VALUE, <i64>i32.MAX_VALUE, "i32");
  }

  /** Skips one complete value of any type, without recursion (deep nesting cannot overflow the stack). */
  skip(): void {
    let pending: u64 = 1;
    while (pending > 0 && this.ok()) {
      pending -= 1;
      pending += <u64>this.skipHeader();
    }
  }

  /** Skips one value's header and scalar payload; returns how many nested values follow. */
  private skipHeader(): u32 {
    const lead = this.u8();
    if (lead < 0x80 || lead >= 0xe0) return 0;
    if ((lead & 0xf0) == <u8>Format.FIXMAP) return this.count(lead & 0x0f, 2) * 2;
    if ((lead & 0xf0) == <u8>Format.FIXARRAY) return this.count(lead & 0x0f, 1);
    if ((lead & 0xe0) == <u8>Format.FIXSTR) {
      this.skipBytes(lead & 0x1f);
      return 0;
    }
    switch (lead) {
      case <u8>Format.NIL:
      case <u8>Format.FALSE:
      case <u8>Format.TRUE: return 0;
      case <u8>Format.BIN8:
      case <u8>Format.STR8: this.skipBytes(this.u8()); return 0;
      case <u8>Format.BIN16:
      case <u8>Format.STR16: this.skipBytes(this.u16()); return 0;
      case <u8>Format.BIN32:
      case <u8>Format.STR32: this.skipBytes(this.u32()); return 0;
      case <u8>Format.EXT8: this.skipBytes(<u32>this.u8() + 1); return 0;
      case <u8>Format.EXT16: this.skipBytes(<u32>this.u16() + 1); return 0;
      case <u8>Format.EXT32: this.skipBytes(<u32>this.u32() + 1); return 0;
      case <u8>Format.FLOAT32: this.skipBytes(4); return 0;
      case <u8>Format.FLOAT64: this.skipBytes(8); return 0;
      case <u8>Format.UINT8:
      case <u8>Format.INT8: this.skipBytes(1); return 0;
      case <u8>Format.UINT16:
      case <u8>Format.INT16: this.skipBytes(2); return 0;
      case <u8>Format.UINT32:
      case <u8>Format.INT32: this.skipBytes(4); return 0;
      case <u8>Format.UINT64:
      case <u8>Format.INT64: this.skipBytes(8); return 0;
      case <u8>Format.FIXEXT1: this.skipBytes(2); return 0;
      case <u8>Format.FIXEXT2: this.skipBytes(3); return 0;
      case <u8>Format.FIXEXT4: this.skipBytes(5); return 0;
      case <u8>Format.FIXEXT8: this.skipBytes(9); return 0;
      case <u8>Format.FIXEXT16: this.skipBytes(17); return 0;
      case <u8>Format.ARRAY16: return this.count(this.u16(), 1);
      case <u8>Format.ARRAY32: return this.count(this.u32(), 1);
      case <u8>Format.MAP16: return this.count(this.u16(), 2) * 2;
      case <u8>Format.MAP32: return this.count(this.u32(), 2) * 2;
    }
    this.fail("invalid MessagePack byte 0x" + lead.toString(16));
    return 0;
  }
}
