"""Module compile vs disk-cache load through ``Runtime.compile``, in one run.

A generated waPC module (``--functions`` small functions) is compiled by a Runtime without a cache
(the baseline) and loaded by a Runtime whose disk cache already holds it; interleaved rounds, medians.

Run: ``.venv/bin/python bench/runtime_compile.py [--functions N] [--rounds N]``
"""

from __future__ import annotations

import argparse
import functools
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import wasmtime

from host.runtime import Runtime, RuntimeConfig


def generated_module(functions: int) -> bytes:
    body = "".join(
        f"(func $f{i} (param i32) (result i32) (i32.add (i32.mul (local.get 0) (i32.const {i})) (i32.const 7)))\n"
        for i in range(functions)
    )
    calls = "".join(f"(drop (call $f{i} (local.get 0)))\n" for i in range(functions))
    wat = f"""
(module
  (memory (export "memory") 1)
  {body}
  (func (export "__guest_call") (param i32 i32) (result i32)
    {calls}
    (i32.const 1)))
"""
    return bytes(wasmtime.wat2wasm(wat))


def ms(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    options = parser.parse_args()
    wasm = generated_module(options.functions)
    with tempfile.TemporaryDirectory() as cache_dir:
        config = RuntimeConfig(cache_dir=Path(cache_dir))
        with Runtime(config) as warm:
            assert not warm.compile(wasm, "bench").cache_hit
        compile_ms, load_ms = [], []
        for _ in range(options.rounds):
            with Runtime() as cold:
                compile_ms.append(ms(functools.partial(cold.compile, wasm, "bench")))
            with Runtime(config) as cached:
                load_ms.append(ms(functools.partial(cached.compile, wasm, "bench")))
                assert cached.compile(wasm, "bench").cache_hit
    compiled, loaded = statistics.median(compile_ms), statistics.median(load_ms)
    print(f"{len(wasm)} byte module, {options.functions} functions, median of {options.rounds} rounds")
    print(f"  compile (no cache)   {compiled:8.2f} ms")
    print(f"  load from disk cache {loaded:8.2f} ms")
    print(f"  ratio compile / load {compiled / loaded:8.1f}x")


if __name__ == "__main__":
    main()
