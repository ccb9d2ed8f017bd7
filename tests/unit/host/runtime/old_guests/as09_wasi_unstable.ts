// A waPC guest built with AssemblyScript 0.9.4, whose WASI bindings import "wasi_unstable" (WASI snapshot 0).
// Built (byte-for-byte reproducible) with:
//   npm install assemblyscript@0.9.4
//   npx asc as09_wasi_unstable.ts -b as09_wasi_unstable.wasm -O3z --runtime stub --use abort=as09_wasi_unstable/wasiAbort
// Operations: Print (a line to stdout and one to stderr, echoes the payload), Stat (fd_filestat_get on stdout into
// AssemblyScript's own snapshot-0 filestat, followed by 8 bytes of 0xAB), Seek, Environ, Exit (proc_exit(3)).
import {
  environ_sizes_get, fd_filestat_get, fd_seek, fd_write, filestat, iovec, proc_exit, whence,
} from "bindings/wasi_unstable";

@external("wapc", "__guest_request")
declare function guest_request(op: usize, msg: usize): void;
@external("wapc", "__guest_response")
declare function guest_response(ptr: usize, len: usize): void;

function write(fd: u32, text: string): void {
  const bytes = String.UTF8.encode(text);
  const iov = changetype<iovec>(__alloc(offsetof<iovec>(), 0));
  iov.buf = changetype<usize>(bytes);
  iov.buf_len = bytes.byteLength;
  const written = __alloc(sizeof<usize>(), 0);
  fd_write(fd, changetype<usize>(iov), 1, written);
}

function answer(words: u32[]): void {
  const out = new ArrayBuffer(words.length * 4);
  for (let i = 0; i < words.length; i++) store<u32>(changetype<usize>(out) + i * 4, words[i]);
  guest_response(changetype<usize>(out), out.byteLength);
}

export function __guest_call(op_len: usize, msg_len: usize): bool {
  const op = new ArrayBuffer(op_len as i32);
  const msg = new ArrayBuffer(msg_len as i32);
  guest_request(changetype<usize>(op), changetype<usize>(msg));
  const name = String.UTF8.decode(op);
  if (name == "Print") {
    write(1, "hello from AssemblyScript 0.9\n");
    write(2, "and from its stderr\n");
    guest_response(changetype<usize>(msg), msg_len);
  } else if (name == "Stat") {
    // the snapshot-0 filestat as AssemblyScript lays it out; the 8 bytes after it must stay untouched
    const area = __alloc(offsetof<filestat>() + 8, 0);
    memory.fill(area, 0xAB, offsetof<filestat>() + 8);
    const stat = changetype<filestat>(area);
    const errno = fd_filestat_get(1, stat);
    answer([errno, offsetof<filestat>(), stat.filetype, stat.nlink, <u32>stat.size, load<u32>(area + offsetof<filestat>())]);
  } else if (name == "Seek") {
    const position = __alloc(8, 0);
    answer([fd_seek(1, 0, whence.CUR, position), fd_seek(1, 0, whence.SET, position)]);
  } else if (name == "Environ") {
    const sizes = __alloc(8, 0);
    const errno = environ_sizes_get(sizes, sizes + 4);
    answer([errno, load<u32>(sizes), load<u32>(sizes + 4)]);
  } else if (name == "Exit") {
    proc_exit(3);
  }
  return true;
}

// AssemblyScript's abort (failed assertions, out-of-bounds accesses) ends the guest as its WASI runtime did.
export function wasiAbort(message: string | null, file: string | null, line: u32, column: u32): void {
  proc_exit(255);
}
