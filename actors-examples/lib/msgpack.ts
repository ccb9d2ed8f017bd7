// Minimal, strict MessagePack reader and writer for the wasmbus interface payloads.
//
// Why not as-msgpack's Encoder/Decoder directly? @wapc/as-msgpack 0.1.15 (the last version that compiles with
// AssemblyScript 0.27) has defects that matter on the wire:
//   * Encoder.writeByteArray writes nil (0xc0) for an empty buffer, not an empty bin (0xc4 0x00);
//   * DataReader.setUint16 stores 4 bytes, writing 2 bytes past the buffer when a u16 ends the payload;
//   * the Decoder cannot peek, so a byte field cannot accept both str and bin;
//   * Decoder.readStringLength accepts a fixarray header as a string length, and skip() misses ext8/16/32.
// We therefore keep as-msgpack for its format constants and do the byte work here, bounds-checked.
// Every read latches the first error instead of trapping: check `error()` after decoding.

export { MsgReader } from "./msgreader";
export { MsgWriter, encodeInt, encodeString } from "./msgwriter";
export { isValidUtf8 } from "./utf8";
