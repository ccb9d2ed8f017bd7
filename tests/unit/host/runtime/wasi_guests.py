"""WAT guests for the WASI tests, each written for either snapshot (``{ns}``: the import module).

Memory map: iovec at 0, results at 2048 (answered by ``__guest_call``), scratch at 4096, strings from 100.
"""

from __future__ import annotations

import struct

import wasmtime

PREVIEW1 = "wasi_snapshot_preview1"
SNAPSHOT0 = "wasi_unstable"
SNAPSHOTS = (PREVIEW1, SNAPSHOT0)

_PUT = """
  (global $out (mut i32) (i32.const 2048))
  (func $put (param $value i32)
    (i32.store (global.get $out) (local.get $value))
    (global.set $out (i32.add (global.get $out) (i32.const 4))))
  (func $answer (result i32)
    (call $guest_response (i32.const 2048) (i32.sub (global.get $out) (i32.const 2048)))
    (global.set $out (i32.const 2048))
    (i32.const 1))
"""


def wasm(wat: str, namespace: str) -> bytes:
    return bytes(wasmtime.wat2wasm(wat.replace("{ns}", namespace)))


def data(offset: int, raw: bytes) -> str:
    """A data segment holding ``raw`` at ``offset``."""
    escaped = "".join(f"\\{byte:02x}" for byte in raw)
    return f'(data (i32.const {offset}) "{escaped}")'


# The guest the issue describes (TinyGo-style): waPC plus fd_write only. _start prints "started"; a call prints a
# line to stdout and one to stderr, then echoes its payload.
PRINT = """
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "{ns}" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "hello from an old guest\\n")
  (data (i32.const 200) "oops\\n")
  (data (i32.const 300) "started\\n")
  (func $write (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start") (call $write (i32.const 1) (i32.const 300) (i32.const 8)))
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (call $guest_request (i32.const 1024) (i32.const 4096))
    (call $write (i32.const 1) (i32.const 100) (i32.const 24))
    (call $write (i32.const 2) (i32.const 200) (i32.const 5))
    (call $guest_response (i32.const 4096) (local.get $msg_len))
    (i32.const 1)))
"""

# What a guest can reach: each probe answers errno values (and counts) as u32 words, in this order:
# args_sizes_get (errno, argc, size), environ_sizes_get (errno, count, size), fd_prestat_get(3), path_open on
# fd 3 and on fd 0 ("etc/passwd", creat), path_filestat_get(3), fd_read(0) (errno, bytes), random_get,
# clock_time_get(realtime) (errno, time != 0), fd_fdstat_get(1) (errno, filetype, rights base, inheriting),
# fd_seek(1, cur) / fd_tell(1), sock_recv(1), sock_send(1), sock_shutdown(1), fd_close(3), fd_renumber(1, 7).
SANDBOX = (
    """
(module
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "{ns}" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "{ns}" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "{ns}" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "{ns}" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "{ns}" "path_filestat_get" (func $path_filestat_get (param i32 i32 i32 i32 i32) (result i32)))
  (import "{ns}" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "{ns}" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "{ns}" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "{ns}" "fd_fdstat_get" (func $fd_fdstat_get (param i32 i32) (result i32)))
  (import "{ns}" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "{ns}" "fd_tell" (func $fd_tell (param i32 i32) (result i32)))
  (import "{ns}" "sock_recv" (func $sock_recv (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "{ns}" "sock_send" (func $sock_send (param i32 i32 i32 i32 i32) (result i32)))
  (import "{ns}" "sock_shutdown" (func $sock_shutdown (param i32 i32) (result i32)))
  (import "{ns}" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "{ns}" "fd_renumber" (func $fd_renumber (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "etc/passwd")
"""
    + _PUT
    + """
  (func (export "__guest_call") (param i32 i32) (result i32)
    (call $put (call $args_sizes_get (i32.const 4096) (i32.const 4100)))
    (call $put (i32.load (i32.const 4096)))
    (call $put (i32.load (i32.const 4100)))
    (call $put (call $environ_sizes_get (i32.const 4104) (i32.const 4108)))
    (call $put (i32.load (i32.const 4104)))
    (call $put (i32.load (i32.const 4108)))
    (call $put (call $fd_prestat_get (i32.const 3) (i32.const 4112)))
    (call $put (call $path_open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 10) (i32.const 1)
      (i64.const 0x42) (i64.const 0x42) (i32.const 0) (i32.const 4120)))
    (call $put (call $path_open (i32.const 0) (i32.const 0) (i32.const 100) (i32.const 10) (i32.const 1)
      (i64.const 0x42) (i64.const 0x42) (i32.const 0) (i32.const 4120)))
    (call $put (call $path_filestat_get (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 10)
      (i32.const 4160)))
    (i32.store (i32.const 0) (i32.const 4224))
    (i32.store (i32.const 4) (i32.const 16))
    (call $put (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 4124)))
    (call $put (i32.load (i32.const 4124)))
    (call $put (call $random_get (i32.const 4224) (i32.const 16)))
    (call $put (call $clock_time_get (i32.const 0) (i64.const 1) (i32.const 4128)))
    (call $put (i64.ne (i64.load (i32.const 4128)) (i64.const 0)))
    (call $put (call $fd_fdstat_get (i32.const 1) (i32.const 4136)))
    (call $put (i32.load8_u (i32.const 4136)))
    (call $put (i32.wrap_i64 (i64.load (i32.const 4144))))
    (call $put (i32.wrap_i64 (i64.load (i32.const 4152))))
    (call $put (call $fd_seek (i32.const 1) (i64.const 0) (i32.const 0) (i32.const 4128)))
    (call $put (call $fd_tell (i32.const 1) (i32.const 4128)))
    (call $put (call $sock_recv (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 4128)
      (i32.const 4132)))
    (call $put (call $sock_send (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 4128)))
    (call $put (call $sock_shutdown (i32.const 1) (i32.const 3)))
    (call $put (call $fd_close (i32.const 3)))
    (call $put (call $fd_renumber (i32.const 1) (i32.const 7)))
    (call $answer)))
"""
)

SUBSCRIPTION_SIZE = {PREVIEW1: 48, SNAPSHOT0: 56}


def clock_subscription(namespace: str, userdata: int, timeout_ns: int) -> bytes:
    """A relative realtime-clock subscription in the layout of ``namespace``."""
    if namespace == SNAPSHOT0:  # userdata, tag, identifier, clock id, timeout, precision, flags
        return struct.pack("<QB7xQI4xQQH6x", userdata, 0, 0xFEEDFACE, 0, timeout_ns, 1000, 0)
    return struct.pack("<QB7xI4xQQH6x", userdata, 0, 0, timeout_ns, 1000, 0)


def fd_write_subscription(namespace: str, userdata: int, fd: int) -> bytes:
    return struct.pack("<QB7xI", userdata, 2, fd).ljust(SUBSCRIPTION_SIZE[namespace], b"\0")


def poll_guest(namespace: str, subscriptions: bytes, count: int) -> bytes:
    """Polls ``count`` subscriptions (at 4096); answers errno, nevents, the events (at 8192), then the
    subscription bytes as they are after the call."""
    size = len(subscriptions)
    wat = f"""
(module
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "{namespace}" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  {data(4096, subscriptions)}
  (func (export "__guest_call") (param i32 i32) (result i32)
    (i32.store (i32.const 2048) (call $poll_oneoff (i32.const 4096) (i32.const 8192) (i32.const {count})
      (i32.const 2052)))
    (memory.copy (i32.const 2056) (i32.const 8192) (i32.const {32 * count}))
    (memory.copy (i32.const {2056 + 32 * count}) (i32.const 4096) (i32.const {size}))
    (call $guest_response (i32.const 2048) (i32.const {8 + 32 * count + size}))
    (i32.const 1)))
"""
    return wasm(wat, namespace)


# fd_filestat_get / path_filestat_get into a buffer prefilled with 0xAA (64 bytes at 4096, and the last 64 bytes of
# memory). Operation (first byte): s stdout's filestat at 4096, e stdout's at the very end of memory (65536 - 56),
# p path_filestat_get on fd 3. Answers errno then the 72 bytes around the buffer (8 before it, 64 from it).
FILESTAT = """
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "{ns}" "fd_filestat_get" (func $fd_filestat_get (param i32 i32) (result i32)))
  (import "{ns}" "path_filestat_get" (func $path_filestat_get (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "x")
  (func (export "__guest_call") (param i32 i32) (result i32)
    (local $op i32) (local $buf i32)
    (memory.fill (i32.const 4088) (i32.const 0xAA) (i32.const 72))
    (memory.fill (i32.const 65400) (i32.const 0xAA) (i32.const 136))
    (call $guest_request (i32.const 1024) (i32.const 1100))
    (local.set $op (i32.load8_u (i32.const 1024)))
    (local.set $buf (i32.const 4096))
    (if (i32.eq (local.get $op) (i32.const 101)) (then (local.set $buf (i32.const 65480))))
    (if (i32.eq (local.get $op) (i32.const 112))
      (then (i32.store (i32.const 2048)
        (call $path_filestat_get (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 1) (local.get $buf))))
      (else (i32.store (i32.const 2048) (call $fd_filestat_get (i32.const 1) (local.get $buf)))))
    (if (i32.eq (local.get $op) (i32.const 101))
      (then (memory.copy (i32.const 2052) (i32.sub (local.get $buf) (i32.const 8)) (i32.const 64))
            (memory.fill (i32.const 2116) (i32.const 0xAA) (i32.const 8)))
      (else (memory.copy (i32.const 2052) (i32.sub (local.get $buf) (i32.const 8)) (i32.const 72))))
    (call $guest_response (i32.const 2048) (i32.const 76))
    (i32.const 1)))
"""


def exit_guest(namespace: str, init_status: int | None, call_status: int) -> bytes:
    """``_start`` exits with ``init_status`` (None: returns); a call exits with ``call_status``, then (if the exit
    returned, as snapshot 0's does) writes "after exit" to stdout and answers."""
    start = "" if init_status is None else f"(call $proc_exit (i32.const {init_status}))"
    wat = f"""
(module
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "{namespace}" "proc_exit" (func $proc_exit (param i32)))
  (import "{namespace}" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "after exit\\n")
  (func (export "_start") {start})
  (func (export "__guest_call") (param i32 i32) (result i32)
    (call $proc_exit (i32.const {call_status}))
    (i32.store (i32.const 0) (i32.const 100))
    (i32.store (i32.const 4) (i32.const 11))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $guest_response (i32.const 100) (i32.const 5))
    (i32.const 1)))
"""
    return wasm(wat, namespace)


# Faults preview 1 turns into traps: operation b hands fd_write an iovec array outside memory, w an invalid
# fd_seek whence (3), a a misaligned fdstat buffer, p poll_oneoff subscriptions and s a filestat buffer running past
# the end of memory; l calls fd_write (with nothing to write) forever.
FAULTS = """
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "{ns}" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "{ns}" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "{ns}" "fd_fdstat_get" (func $fd_fdstat_get (param i32 i32) (result i32)))
  (import "{ns}" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "{ns}" "fd_filestat_get" (func $fd_filestat_get (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "__guest_call") (param i32 i32) (result i32)
    (local $op i32)
    (call $guest_request (i32.const 1024) (i32.const 1100))
    (local.set $op (i32.load8_u (i32.const 1024)))
    (if (i32.eq (local.get $op) (i32.const 98))
      (then (i32.store (i32.const 2048) (call $fd_write (i32.const 1) (i32.const 70000) (i32.const 1)
        (i32.const 8)))))
    (if (i32.eq (local.get $op) (i32.const 119))
      (then (i32.store (i32.const 2048) (call $fd_seek (i32.const 1) (i64.const 0) (i32.const 3)
        (i32.const 8)))))
    (if (i32.eq (local.get $op) (i32.const 97))
      (then (i32.store (i32.const 2048) (call $fd_fdstat_get (i32.const 1) (i32.const 3)))))
    (if (i32.eq (local.get $op) (i32.const 112))
      (then (i32.store (i32.const 2048) (call $poll_oneoff (i32.const 65528) (i32.const 8192) (i32.const 1)
        (i32.const 2052)))))
    (if (i32.eq (local.get $op) (i32.const 115))
      (then (i32.store (i32.const 2048) (call $fd_filestat_get (i32.const 1) (i32.const 65496)))))
    (if (i32.eq (local.get $op) (i32.const 108))
      (then (loop $forever
        (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 8)))
        (br $forever))))
    (call $guest_response (i32.const 2048) (i32.const 4))
    (i32.const 1)))
"""

# A start function (run during instantiation, before any export) that writes to stdout.
START_SECTION = """
(module
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "{ns}" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "from the start function\\n")
  (func $boot
    (i32.store (i32.const 0) (i32.const 100))
    (i32.store (i32.const 4) (i32.const 24))
    (i32.store (i32.const 2048) (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (start $boot)
  (func (export "__guest_call") (param i32 i32) (result i32)
    (call $guest_response (i32.const 2048) (i32.const 4))
    (i32.const 1)))
"""
