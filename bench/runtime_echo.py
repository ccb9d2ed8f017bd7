"""16-byte echo through a WAT waPC guest: ActorPool vs bare wasmtime calls, in one run.

Measures, interleaved round by round (median of rounds, µs per call):

* ``bare low-level``: the same guest called with ``wasmtime_func_call_unchecked`` and imports defined
  with ``wasmtime_linker_define_func_unchecked`` (memory copied with ctypes): the floor for Python.
* ``bare public API``: the same with ``Func.__call__``, ``define_func`` and ``Memory.read``/``write``.
* ``pool fast`` / ``pool public``: ``ActorPool.invoke_sync`` on each call path of ``host.runtime``.
* ``pool fast async``: ``await ActorPool.invoke`` (inline on the event loop while calls stay short, ADR 0017).

Run: ``.venv/bin/python bench/runtime_echo.py [--rounds N]``
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import statistics
import time
from collections.abc import Callable

import wasmtime
from wasmtime import _ffi as ffi

from host.runtime import ActorPool, Runtime, RuntimeConfig

ECHO_WAT = """
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (memory (export "memory") 2)
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (call $guest_request (i32.const 0) (i32.const 1024))
    (call $guest_response (i32.const 1024) (local.get $msg_len))
    (i32.const 1)))
"""
OPERATION, PAYLOAD = b"Echo.Say", bytes(range(16))


class State:
    base = 0
    response = b""


def bare_low_level() -> Callable[[], bytes]:
    config = wasmtime.Config()
    config.epoch_interruption = True
    config.memory_may_move = False
    engine = wasmtime.Engine(config)
    linker = wasmtime.Linker(engine)
    state = State()
    i32 = wasmtime.ValType.i32()
    functype = wasmtime.FuncType([i32, i32], [])

    def request(env: object, caller: object, args: ctypes.Array[ffi.wasmtime_val_raw_t], n: int) -> int:
        ctypes.memmove(state.base + (args[0].i32 & 0xFFFFFFFF), OPERATION, len(OPERATION))
        ctypes.memmove(state.base + (args[1].i32 & 0xFFFFFFFF), PAYLOAD, len(PAYLOAD))
        return 0

    def response(env: object, caller: object, args: ctypes.Array[ffi.wasmtime_val_raw_t], n: int) -> int:
        state.response = ctypes.string_at(state.base + (args[0].i32 & 0xFFFFFFFF), args[1].i32)
        return 0

    callbacks = [ffi.wasmtime_func_unchecked_callback_t(f) for f in (request, response)]
    for name, callback in zip((b"__guest_request", b"__guest_response"), callbacks, strict=True):
        no_finalizer = ctypes.CFUNCTYPE(None, ctypes.c_void_p)()
        ffi.wasmtime_linker_define_func_unchecked(
            linker.ptr(), b"wapc", 4, name, len(name), functype.ptr(), callback, None, no_finalizer
        )
    store = wasmtime.Store(engine)
    store.set_epoch_deadline(1 << 40)
    instance = linker.instantiate_pre(wasmtime.Module(engine, ECHO_WAT)).instantiate(store)
    exports = instance.exports(store)
    memory, func = exports["memory"], exports["__guest_call"]
    assert isinstance(memory, wasmtime.Memory)
    assert isinstance(func, wasmtime.Func)
    context = store._context()
    address = ffi.wasmtime_memory_data(context, ctypes.byref(memory._memory))
    state.base = ctypes.cast(address, ctypes.c_void_p).value or 0
    args = (ffi.wasmtime_val_raw_t * 2)()
    trap = ctypes.POINTER(ffi.wasm_trap_t)()
    func_ref, trap_ref = ctypes.byref(func._func), ctypes.byref(trap)

    def call() -> bytes:
        args[0].i32, args[1].i32 = len(OPERATION), len(PAYLOAD)
        if ffi.wasmtime_func_call_unchecked(context, func_ref, args, 2, trap_ref) or trap:
            raise RuntimeError("trapped")
        return state.response

    call.keep_alive = (callbacks, linker, store)  # type: ignore[attr-defined]
    return call


def bare_public() -> Callable[[], bytes]:
    engine = wasmtime.Engine()
    linker = wasmtime.Linker(engine)
    state = State()
    i32 = wasmtime.ValType.i32()
    memory_box: list[wasmtime.Memory] = []

    def request(caller: wasmtime.Caller, op_ptr: int, msg_ptr: int) -> None:
        memory_box[0].write(caller, OPERATION, op_ptr)
        memory_box[0].write(caller, PAYLOAD, msg_ptr)

    def response(caller: wasmtime.Caller, ptr: int, length: int) -> None:
        state.response = bytes(memory_box[0].read(caller, ptr, ptr + length))

    for name, fn in (("__guest_request", request), ("__guest_response", response)):
        linker.define_func("wapc", name, wasmtime.FuncType([i32, i32], []), fn, access_caller=True)
    store = wasmtime.Store(engine)
    exports = linker.instantiate(store, wasmtime.Module(engine, ECHO_WAT)).exports(store)
    memory, func = exports["memory"], exports["__guest_call"]
    assert isinstance(memory, wasmtime.Memory)
    assert isinstance(func, wasmtime.Func)
    memory_box.append(memory)

    def call() -> bytes:
        if func(store, len(OPERATION), len(PAYLOAD)) != 1:
            raise RuntimeError("guest failed")
        return state.response

    return call


def no_host_calls(binding: str, namespace: str, operation: str, payload: bytes) -> bytes:
    raise AssertionError("the echo guest makes no host calls")


def time_per_call(call: Callable[[], object], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        call()
    return (time.perf_counter() - start) / n * 1e6


async def time_async(pool: ActorPool, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        await pool.invoke("Echo.Say", PAYLOAD)
    return (time.perf_counter() - start) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=3000, help="calls per round for the fast paths")
    options = parser.parse_args()
    wasm = bytes(wasmtime.wat2wasm(ECHO_WAT))
    fast_rt, public_rt = Runtime(RuntimeConfig(fast_path=True)), Runtime(RuntimeConfig(fast_path=False))
    fast_pool = ActorPool(fast_rt, fast_rt.compile(wasm, "echo"), host_calls=no_host_calls)
    public_pool = ActorPool(public_rt, public_rt.compile(wasm, "echo"), host_calls=no_host_calls)
    n, slow_n = options.calls, max(1, options.calls // 8)
    contenders: dict[str, tuple[Callable[[], object], int]] = {
        "bare low-level": (bare_low_level(), n),
        "pool fast": (lambda: fast_pool.invoke_sync("Echo.Say", PAYLOAD), n),
        "bare public API": (bare_public(), slow_n),
        "pool public": (lambda: public_pool.invoke_sync("Echo.Say", PAYLOAD), slow_n),
    }
    for name, (call, _) in contenders.items():
        assert call() == PAYLOAD, name
    samples: dict[str, list[float]] = {name: [] for name in [*contenders, "pool fast async"]}
    loop = asyncio.new_event_loop()
    for _ in range(options.rounds):
        for name, (call, count) in contenders.items():
            samples[name].append(time_per_call(call, count))
        samples["pool fast async"].append(loop.run_until_complete(time_async(fast_pool, slow_n)))
    loop.close()
    median = {name: statistics.median(values) for name, values in samples.items()}
    print(f"16-byte echo, median of {options.rounds} rounds (µs per call)")
    for name, value in median.items():
        print(f"  {name:<16} {value:8.2f}")
    print("ratios")
    print(f"  pool fast / bare low-level      {median['pool fast'] / median['bare low-level']:6.2f}x")
    print(f"  pool public / bare public API   {median['pool public'] / median['bare public API']:6.2f}x")
    print(f"  bare public API / pool fast     {median['bare public API'] / median['pool fast']:6.2f}x")
    print(f"  pool public / pool fast         {median['pool public'] / median['pool fast']:6.2f}x")
    fast_pool.close_sync()
    public_pool.close_sync()
    fast_rt.close()
    public_rt.close()


if __name__ == "__main__":
    main()
