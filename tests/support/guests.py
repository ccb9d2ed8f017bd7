"""A WAT waPC guest for the host and fault tests, signed in the test with lattice.claims.sign_module.

Operations: ``Echo.Echo`` (payload back), ``Echo.Fail`` (guest error = payload), ``Spin.Forever`` (runaway loop),
``Mem.Bomb`` (grows memory until refused, answers the page count as u32 LE), ``Trap.Now`` (unreachable),
``Proxy.Call`` (payload = binding, namespace, operation as u32-LE-length-prefixed strings, then the call payload;
makes the ``__host_call`` and answers its response, or fails with the host error). Anything else is a guest error
``unknown operation``.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from pathlib import Path

import wasmtime

from lattice import keys
from lattice.claims import ActorClaims, ActorSpec, sign_module

WAT = r"""
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (import "wapc" "__host_call" (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wapc" "__host_response_len" (func $host_response_len (result i32)))
  (import "wapc" "__host_response" (func $host_response (param i32)))
  (import "wapc" "__host_error_len" (func $host_error_len (result i32)))
  (import "wapc" "__host_error" (func $host_error (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "Echo.Echo")
  (data (i32.const 32) "Echo.Fail")
  (data (i32.const 48) "Spin.Forever")
  (data (i32.const 64) "Mem.Bomb")
  (data (i32.const 80) "Proxy.Call")
  (data (i32.const 96) "Trap.Now")
  (data (i32.const 112) "unknown operation")
  (data (i32.const 144) "operation name too long")
  (global $OP i32 (i32.const 1024))
  (global $MSG i32 (i32.const 4096))

  (func $ensure (param $end i32)
    (local $have i32)
    (local.set $have (i32.mul (memory.size) (i32.const 65536)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then (drop (memory.grow
        (i32.div_u (i32.add (i32.sub (local.get $end) (local.get $have)) (i32.const 65535)) (i32.const 65536)))))))

  (func $eq (param $a i32) (param $alen i32) (param $b i32) (param $blen i32) (result i32)
    (local $i i32)
    (if (i32.ne (local.get $alen) (local.get $blen)) (then (return (i32.const 0))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $alen)))
        (if (i32.ne (i32.load8_u (i32.add (local.get $a) (local.get $i)))
                    (i32.load8_u (i32.add (local.get $b) (local.get $i))))
          (then (return (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 1))

  (func $bomb (result i32)
    (block $full
      (loop $grow
        (br_if $full (i32.eq (memory.grow (i32.const 16)) (i32.const -1)))
        (br $grow)))
    (i32.store (i32.const 0) (memory.size))
    (call $guest_response (i32.const 0) (i32.const 4))
    (i32.const 1))

  (func $proxy (param $len i32) (result i32)
    (local $p i32) (local $bd i32) (local $bdl i32) (local $ns i32) (local $nsl i32)
    (local $op i32) (local $opl i32) (local $pl i32) (local $end i32) (local $rl i32) (local $buf i32)
    (local.set $end (i32.add (global.get $MSG) (local.get $len)))
    (local.set $p (global.get $MSG))
    (local.set $bdl (i32.load (local.get $p)))
    (local.set $bd (i32.add (local.get $p) (i32.const 4)))
    (local.set $p (i32.add (local.get $bd) (local.get $bdl)))
    (local.set $nsl (i32.load (local.get $p)))
    (local.set $ns (i32.add (local.get $p) (i32.const 4)))
    (local.set $p (i32.add (local.get $ns) (local.get $nsl)))
    (local.set $opl (i32.load (local.get $p)))
    (local.set $op (i32.add (local.get $p) (i32.const 4)))
    (local.set $p (i32.add (local.get $op) (local.get $opl)))
    (local.set $pl (i32.sub (local.get $end) (local.get $p)))
    (local.set $buf (i32.and (i32.add (local.get $end) (i32.const 15)) (i32.const -16)))
    (if (call $host_call (local.get $bd) (local.get $bdl) (local.get $ns) (local.get $nsl)
                         (local.get $op) (local.get $opl) (local.get $p) (local.get $pl))
      (then
        (local.set $rl (call $host_response_len))
        (call $ensure (i32.add (local.get $buf) (local.get $rl)))
        (call $host_response (local.get $buf))
        (call $guest_response (local.get $buf) (local.get $rl))
        (return (i32.const 1))))
    (local.set $rl (call $host_error_len))
    (call $ensure (i32.add (local.get $buf) (local.get $rl)))
    (call $host_error (local.get $buf))
    (call $guest_error (local.get $buf) (local.get $rl))
    (i32.const 0))

  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (if (i32.gt_u (local.get $op_len) (i32.const 3000))
      (then (call $guest_error (i32.const 144) (i32.const 23)) (return (i32.const 0))))
    (call $ensure (i32.add (global.get $MSG) (local.get $msg_len)))
    (call $guest_request (global.get $OP) (global.get $MSG))
    (if (call $eq (global.get $OP) (local.get $op_len) (i32.const 16) (i32.const 9))
      (then (call $guest_response (global.get $MSG) (local.get $msg_len)) (return (i32.const 1))))
    (if (call $eq (global.get $OP) (local.get $op_len) (i32.const 32) (i32.const 9))
      (then (call $guest_error (global.get $MSG) (local.get $msg_len)) (return (i32.const 0))))
    (if (call $eq (global.get $OP) (local.get $op_len) (i32.const 48) (i32.const 12))
      (then (loop $spin (br $spin))))
    (if (call $eq (global.get $OP) (local.get $op_len) (i32.const 64) (i32.const 8))
      (then (return (call $bomb))))
    (if (call $eq (global.get $OP) (local.get $op_len) (i32.const 80) (i32.const 10))
      (then (return (call $proxy (local.get $msg_len)))))
    (if (call $eq (global.get $OP) (local.get $op_len) (i32.const 96) (i32.const 8))
      (then unreachable))
    (call $guest_error (i32.const 112) (i32.const 17))
    (i32.const 0))
)
"""

_UNSIGNED: bytes | None = None


def unsigned_module() -> bytes:
    global _UNSIGNED
    if _UNSIGNED is None:
        _UNSIGNED = bytes(wasmtime.wat2wasm(WAT))
    return _UNSIGNED


def signed_guest(
    account: keys.KeyPair,
    *,
    module_key: keys.KeyPair | None = None,
    caps: Sequence[str] = (),
    rev: int | None = 1,
    call_alias: str | None = None,
    name: str = "hostcore test guest",
    expires_in_s: int | None = None,
    not_before_in_s: int | None = None,
    variant: int = 0,
) -> tuple[bytes, ActorClaims]:
    """The guest signed by ``account``; ``variant`` appends a custom section so the module (and hash) differ."""
    module = unsigned_module()
    if variant:
        name_bytes = b"variant"
        body = bytes([len(name_bytes)]) + name_bytes + struct.pack("<I", variant)
        module = module + b"\x00" + bytes([len(body)]) + body
    spec = ActorSpec(
        name=name,
        caps=tuple(caps),
        rev=rev,
        call_alias=call_alias,
        expires_in_s=expires_in_s,
        not_before_in_s=not_before_in_s,
    )
    return sign_module(module, spec, account, module_key)


def proxy_payload(binding: str, namespace: str, operation: str, payload: bytes) -> bytes:
    """The ``Proxy.Call`` input: three length-prefixed strings, then the payload."""
    out = b""
    for text in (binding, namespace, operation):
        raw = text.encode()
        out += struct.pack("<I", len(raw)) + raw
    return out + payload


def write_module(directory: Path, wasm: bytes, name: str = "actor.wasm") -> str:
    """Write ``wasm`` and return its ``file://`` reference."""
    path = directory / name
    path.write_bytes(wasm)
    return f"file://{path}"
