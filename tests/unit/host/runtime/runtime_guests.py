"""WAT sources of the test guests (waPC guests written by hand, compiled with ``wasmtime.wat2wasm``).

Memory map of the kitchen-sink guests: operation at 0, payload at 1024, scratch at 65536 (page 2).
The guests dispatch on the first byte of the operation name.
"""

from __future__ import annotations

import wasmtime

WAPC_IMPORTS = """
  (import "{ns}" "__guest_request" (func $guest_request (param i32 i32)))
  (import "{ns}" "__guest_response" (func $guest_response (param i32 i32)))
  (import "{ns}" "__guest_error" (func $guest_error (param i32 i32)))
  (import "{ns}" "__host_call" (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "{ns}" "__host_response_len" (func $host_response_len (result i32)))
  (import "{ns}" "__host_response" (func $host_response (param i32)))
  (import "{ns}" "__host_error_len" (func $host_error_len (result i32)))
  (import "{ns}" "__host_error" (func $host_error (param i32)))
  (import "{ns}" "__console_log" (func $console_log (param i32 i32)))
"""

ECHO = """
(module
  (import "{ns}" "__guest_request" (func $guest_request (param i32 i32)))
  (import "{ns}" "__guest_response" (func $guest_response (param i32 i32)))
  (memory (export "memory") 2)
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (call $guest_request (i32.const 0) (i32.const 1024))
    (call $guest_response (i32.const 1024) (local.get $msg_len))
    (i32.const 1)))
"""

# Operations (first byte): e echo, h host call (forward response, or host error as guest error),
# H host call with a non-UTF-8 binding, f fail with a guest error, F fail without one, l loop forever,
# g grow memory until refused and answer the page count (u32 LE), G grow until refused then trap,
# t trap (unreachable), c console-log the payload, k answer a per-instance call counter (u32 LE),
# z answer with a zero-length response at pointer 0xFFFFFFFF, n return 1 without any response.
KITCHEN = (
    """
(module
"""
    + WAPC_IMPORTS
    + """
  (memory (export "memory") 2)
  (global $calls (mut i32) (i32.const 0))
  (data (i32.const 512) "default")
  (data (i32.const 528) "wasmcloud:test")
  (data (i32.const 560) "Test.Op")
  (data (i32.const 576) "guest says no")
  (data (i32.const 600) "\\ff\\fe")
  (func $forward_host_result (param $ok i32) (result i32)
    (local $n i32)
    (if (i32.eq (local.get $ok) (i32.const 1)) (then
      (local.set $n (call $host_response_len))
      (call $host_response (i32.const 65536))
      (call $guest_response (i32.const 65536) (local.get $n))
      (return (i32.const 1))))
    (local.set $n (call $host_error_len))
    (call $host_error (i32.const 65536))
    (call $guest_error (i32.const 65536) (local.get $n))
    (i32.const 0))
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $op i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (call $guest_request (i32.const 0) (i32.const 1024))
    (local.set $op (i32.load8_u (i32.const 0)))
    (if (i32.eq (local.get $op) (i32.const 101)) (then ;; e
      (call $guest_response (i32.const 1024) (local.get $msg_len))
      (return (i32.const 1))))
    (if (i32.eq (local.get $op) (i32.const 104)) (then ;; h
      (return (call $forward_host_result (call $host_call
        (i32.const 512) (i32.const 7) (i32.const 528) (i32.const 14) (i32.const 560) (i32.const 7)
        (i32.const 1024) (local.get $msg_len))))))
    (if (i32.eq (local.get $op) (i32.const 72)) (then ;; H
      (return (call $forward_host_result (call $host_call
        (i32.const 600) (i32.const 2) (i32.const 528) (i32.const 14) (i32.const 560) (i32.const 7)
        (i32.const 1024) (local.get $msg_len))))))
    (if (i32.eq (local.get $op) (i32.const 102)) (then ;; f
      (call $guest_error (i32.const 576) (i32.const 13))
      (return (i32.const 0))))
    (if (i32.eq (local.get $op) (i32.const 70)) (then ;; F
      (return (i32.const 0))))
    (if (i32.eq (local.get $op) (i32.const 108)) (then ;; l
      (loop $forever (br $forever))))
    (if (i32.eq (local.get $op) (i32.const 103)) (then ;; g
      (block $refused (loop $more
        (br_if $refused (i32.eq (memory.grow (i32.const 16)) (i32.const -1)))
        (br $more)))
      (i32.store (i32.const 65536) (memory.size))
      (call $guest_response (i32.const 65536) (i32.const 4))
      (return (i32.const 1))))
    (if (i32.eq (local.get $op) (i32.const 71)) (then ;; G
      (block $refused (loop $more
        (br_if $refused (i32.eq (memory.grow (i32.const 16)) (i32.const -1)))
        (br $more)))
      (unreachable)))
    (if (i32.eq (local.get $op) (i32.const 116)) (then ;; t
      (unreachable)))
    (if (i32.eq (local.get $op) (i32.const 99)) (then ;; c
      (call $console_log (i32.const 1024) (local.get $msg_len))
      (return (i32.const 1))))
    (if (i32.eq (local.get $op) (i32.const 107)) (then ;; k
      (i32.store (i32.const 65536) (global.get $calls))
      (call $guest_response (i32.const 65536) (i32.const 4))
      (return (i32.const 1))))
    (if (i32.eq (local.get $op) (i32.const 122)) (then ;; z
      (call $guest_response (i32.const -1) (i32.const 0))
      (return (i32.const 1))))
    (if (i32.eq (local.get $op) (i32.const 110)) (then ;; n
      (return (i32.const 1))))
    (call $guest_error (i32.const 576) (i32.const 13))
    (i32.const 0)))
"""
)

# Each operation hands one import an out-of-bounds buffer (memory is 2 pages = 131072 bytes):
# q __guest_request, r __guest_response, e __guest_error, b/n/o/p the four __host_call buffers,
# s __host_response (after a host call that succeeded), x __host_error (after one that failed),
# c __console_log, w a buffer straddling the end of memory, v pointer+length wrapping past 2**32.
BAD_POINTERS = (
    """
(module
"""
    + WAPC_IMPORTS
    + """
  (memory (export "memory") 2)
  (data (i32.const 512) "ok")
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $op i32)
    (call $guest_request (i32.const 0) (i32.const 1024))
    (local.set $op (i32.load8_u (i32.const 0)))
    (if (i32.eq (local.get $op) (i32.const 113)) (then ;; q
      (call $guest_request (i32.const -256) (i32.const 1024))))
    (if (i32.eq (local.get $op) (i32.const 114)) (then ;; r
      (call $guest_response (i32.const -16) (i32.const 100))))
    (if (i32.eq (local.get $op) (i32.const 101)) (then ;; e
      (call $guest_error (i32.const 200000) (i32.const 1))))
    (if (i32.eq (local.get $op) (i32.const 98)) (then ;; b
      (drop (call $host_call (i32.const -1) (i32.const 4) (i32.const 0) (i32.const 1)
        (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 0)))))
    (if (i32.eq (local.get $op) (i32.const 110)) (then ;; n
      (drop (call $host_call (i32.const 0) (i32.const 1) (i32.const 131072) (i32.const 1)
        (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 0)))))
    (if (i32.eq (local.get $op) (i32.const 111)) (then ;; o
      (drop (call $host_call (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 1)
        (i32.const 131000) (i32.const 1000) (i32.const 0) (i32.const 0)))))
    (if (i32.eq (local.get $op) (i32.const 112)) (then ;; p
      (drop (call $host_call (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 1)
        (i32.const 0) (i32.const 1) (i32.const 0) (i32.const -1)))))
    (if (i32.eq (local.get $op) (i32.const 115)) (then ;; s
      (drop (call $host_call (i32.const 512) (i32.const 2) (i32.const 512) (i32.const 2)
        (i32.const 512) (i32.const 2) (i32.const 0) (i32.const 0)))
      (call $host_response (i32.const -2))))
    (if (i32.eq (local.get $op) (i32.const 120)) (then ;; x
      (drop (call $host_call (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
        (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
      (call $host_error (i32.const 131071))))
    (if (i32.eq (local.get $op) (i32.const 99)) (then ;; c
      (call $console_log (i32.const 262144) (i32.const 10))))
    (if (i32.eq (local.get $op) (i32.const 119)) (then ;; w
      (call $guest_response (i32.const 131070) (i32.const 3))))
    (if (i32.eq (local.get $op) (i32.const 118)) (then ;; v
      (call $guest_response (i32.const -1) (i32.const -1))))
    (call $guest_response (i32.const 512) (i32.const 2))
    (i32.const 1)))
"""
)

# For calls inline on the event loop (host.runtime.inline). i: log the payload (console and WASI stdout), then a
# host call to "inline:test", forwarding its result; b: the same with "wasmcloud:test"; e echo; l loop forever.
MOVER = (
    """
(module
"""
    + WAPC_IMPORTS
    + """
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 512) "default")
  (data (i32.const 528) "inline:test")
  (data (i32.const 544) "wasmcloud:test")
  (data (i32.const 560) "Test.Op")
  (data (i32.const 600) "wasi line\\n")
  (func $log_both (param $msg_len i32)
    (call $console_log (i32.const 1024) (local.get $msg_len))
    (i32.store (i32.const 700) (i32.const 600))
    (i32.store (i32.const 704) (i32.const 10))
    (drop (call $fd_write (i32.const 1) (i32.const 700) (i32.const 1) (i32.const 708))))
  (func $forward (param $ok i32) (result i32)
    (local $n i32)
    (if (i32.eq (local.get $ok) (i32.const 1)) (then
      (local.set $n (call $host_response_len))
      (call $host_response (i32.const 65536))
      (call $guest_response (i32.const 65536) (local.get $n))
      (return (i32.const 1))))
    (local.set $n (call $host_error_len))
    (call $host_error (i32.const 65536))
    (call $guest_error (i32.const 65536) (local.get $n))
    (i32.const 0))
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $op i32)
    (call $guest_request (i32.const 0) (i32.const 1024))
    (local.set $op (i32.load8_u (i32.const 0)))
    (if (i32.eq (local.get $op) (i32.const 105)) (then ;; i
      (call $log_both (local.get $msg_len))
      (return (call $forward (call $host_call (i32.const 512) (i32.const 7) (i32.const 528) (i32.const 11)
        (i32.const 560) (i32.const 7) (i32.const 1024) (local.get $msg_len))))))
    (if (i32.eq (local.get $op) (i32.const 98)) (then ;; b
      (call $log_both (local.get $msg_len))
      (return (call $forward (call $host_call (i32.const 512) (i32.const 7) (i32.const 544) (i32.const 14)
        (i32.const 560) (i32.const 7) (i32.const 1024) (local.get $msg_len))))))
    (if (i32.eq (local.get $op) (i32.const 108)) (then ;; l
      (loop $forever (br $forever))))
    (call $guest_response (i32.const 1024) (local.get $msg_len))
    (i32.const 1)))
"""
)

# Records which init exports ran, in order: byte 0 holds the count, bytes 4.. the ids
# (start=1, wapc_init=2, _start=3, _initialize=4). __guest_call answers the ids.
_RECORD = """
  (func $record (param $id i32)
    (local $n i32)
    (local.set $n (i32.load8_u (i32.const 0)))
    (i32.store8 (i32.add (i32.const 4) (local.get $n)) (local.get $id))
    (i32.store8 (i32.const 0) (i32.add (local.get $n) (i32.const 1))))
"""


def init_order_guest(exports: tuple[str, ...]) -> str:
    """A guest exporting the given init functions (a subset of start, wapc_init, _start, _initialize)."""
    ids = {"start": 1, "wapc_init": 2, "_start": 3, "_initialize": 4}
    funcs = "".join(f'(func (export "{name}") (call $record (i32.const {ids[name]})))\n' for name in exports)
    return f"""
(module
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (memory (export "memory") 1)
  {_RECORD}
  {funcs}
  (func (export "__guest_call") (param i32 i32) (result i32)
    (call $guest_response (i32.const 4) (i32.load8_u (i32.const 0)))
    (i32.const 1)))
"""


def init_guest(body: str) -> str:
    """An echo-less guest whose ``wapc_init`` runs ``body`` (to make init fail in various ways)."""
    return f"""
(module
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "wapc_init") {body})
  (func (export "__guest_call") (param i32 i32) (result i32) (i32.const 1)))
"""


# WASI: fd_write "hello from wasi\\n" to stdout, "oops\\n" to stderr and an unterminated "tail" to
# stdout, then answer the errno of fd_prestat_get(3) (8 = EBADF: no preopened directories).
# _start prints "started\\n".
WASI = """
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "hello from wasi\\n")
  (data (i32.const 200) "oops\\n")
  (data (i32.const 300) "tail")
  (data (i32.const 400) "started\\n")
  (func $write (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start") (call $write (i32.const 1) (i32.const 400) (i32.const 8)))
  (func (export "__guest_call") (param i32 i32) (result i32)
    (call $write (i32.const 1) (i32.const 100) (i32.const 16))
    (call $write (i32.const 2) (i32.const 200) (i32.const 5))
    (call $write (i32.const 1) (i32.const 300) (i32.const 4))
    (i32.store (i32.const 500) (call $fd_prestat_get (i32.const 3) (i32.const 600)))
    (call $guest_response (i32.const 500) (i32.const 1))
    (i32.const 1)))
"""

# A guest that answers a constant (used as "version 2" in live-update tests).
CONSTANT = """
(module
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{text}")
  (func (export "__guest_call") (param i32 i32) (result i32)
    (call $guest_response (i32.const 0) (i32.const {length}))
    (i32.const 1)))
"""


def wasm(wat: str) -> bytes:
    return bytes(wasmtime.wat2wasm(wat))


def echo(namespace: str = "wapc") -> bytes:
    return wasm(ECHO.replace("{ns}", namespace))


def kitchen(namespace: str = "wapc") -> bytes:
    return wasm(KITCHEN.replace("{ns}", namespace))


def mover() -> bytes:
    return wasm(MOVER.replace("{ns}", "wapc"))


def bad_pointers() -> bytes:
    return wasm(BAD_POINTERS.replace("{ns}", "wapc"))


def constant(text: str) -> bytes:
    return wasm(CONSTANT.replace("{text}", text).replace("{length}", str(len(text))))


def proc_exit_guest(init_status: int | None, call_status: int) -> str:
    """A WASI guest whose ``_start`` exits with ``init_status`` (None: returns) and whose calls exit."""
    start = "" if init_status is None else f"(call $proc_exit (i32.const {init_status}))"
    return f"""
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") {start})
  (func (export "__guest_call") (param i32 i32) (result i32)
    (call $proc_exit (i32.const {call_status}))
    (i32.const 1)))
"""
