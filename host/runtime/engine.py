"""The :class:`Runtime`: one wasmtime engine, one linker, an epoch ticker, worker threads, a module cache.

Everything here is shared by all actors of a host. The engine is configured once
(:data:`ENGINE_SETTINGS`: epoch interruption for deadlines, ``memory_may_move=False`` so guest
memory has a fixed base address); the linker gets the waPC imports (under ``wapc`` and ``wasmbus``),
WASI preview 1 and WASI snapshot 0 (:mod:`host.runtime.wasi_unstable`) once, and every module gets an
``InstancePre`` from it at compile time.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import importlib.metadata
import platform
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import wasmtime

from host.runtime.abi import define_imports
from host.runtime.cache import ModuleCache
from host.runtime.errors import ModuleInvalid, PoolClosed
from host.runtime.fastcall import ActiveAbi, CallPath, select_path
from host.runtime.inline import DEFAULT_INLINE_CALL_US, budget_ticks
from host.runtime.module import CompiledModule, inspect_module
from host.runtime.wasi_unstable import WasiUnstable

T = TypeVar("T")

DEFAULT_EPOCH_TICK_MS = 10
"""Epoch ticker period: the granularity of call deadlines."""
DEFAULT_WORKER_THREADS = 1024
"""Most threads of the shared executor, which runs instantiation (init exports), swaps and compiles: a ceiling, not a
pool size (threads start on demand). Guest calls run on each pool's own threads, bounded by its instance count, so
one actor whose calls loop until their deadline cannot hold the threads other actors need."""

ENGINE_SETTINGS: tuple[tuple[str, bool], ...] = (("epoch_interruption", True), ("memory_may_move", False))
"""wasmtime ``Config`` attributes set on the engine; part of the module cache key."""

WASM_MAGIC = b"\0asm"


@dataclass(frozen=True)
class RuntimeConfig:
    """How a :class:`Runtime` is built. ``cache_dir=None`` disables the disk cache."""

    cache_dir: Path | None = None
    epoch_tick_ms: int = DEFAULT_EPOCH_TICK_MS
    fast_path: bool = True
    """Use the low-level wasmtime call path when available (falls back to the public API if not)."""
    worker_threads: int = DEFAULT_WORKER_THREADS
    inline_call_us: int = DEFAULT_INLINE_CALL_US
    """Guest calls that stay this short run inline on the event loop (``host.runtime.inline``); 0: never."""

    def __post_init__(self) -> None:
        if self.epoch_tick_ms < 1:
            raise ValueError("epoch_tick_ms must be at least 1")
        if self.worker_threads < 1:
            raise ValueError("worker_threads must be at least 1")
        if self.inline_call_us < 0:
            raise ValueError("inline_call_us must not be negative")


def engine_fingerprint() -> str:
    """wasmtime version, engine settings and machine: what a serialized module depends on."""
    settings = ",".join(f"{name}={value}" for name, value in ENGINE_SETTINGS)
    return f"wasmtime={importlib.metadata.version('wasmtime')};{settings};machine={platform.machine()}"


class EpochTicker:
    """A daemon thread that advances the engine's epoch every ``tick_ms``."""

    def __init__(self, engine: wasmtime.Engine, tick_ms: int) -> None:
        self._engine = engine
        self._period = tick_ms / 1000
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wasm-epoch-ticker", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._period):
            self._engine.increment_epoch()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


class Runtime:
    """Owns the engine, linker, epoch ticker, worker threads and disk cache. A context manager."""

    def __init__(self, config: RuntimeConfig | None = None) -> None:
        self.config = config or RuntimeConfig()
        wasm_config = wasmtime.Config()
        for name, value in ENGINE_SETTINGS:
            setattr(wasm_config, name, value)
        self.engine = wasmtime.Engine(wasm_config)
        self.inline_ticks = budget_ticks(self.config.inline_call_us, self.config.epoch_tick_ms)
        """Epoch ticks a call inline on the event loop may run before it moves to a worker thread."""
        self.active = ActiveAbi()
        self.path: CallPath = select_path(self.config.fast_path, self.active)
        self.linker = wasmtime.Linker(self.engine)
        define_imports(self.linker, self.path)
        self.linker.define_wasi()
        self.wasi_unstable = WasiUnstable(self.engine, self.linker, self.active)
        directory = self.config.cache_dir
        self._cache = ModuleCache(directory, engine_fingerprint()) if directory is not None else None
        self._executor = concurrent.futures.ThreadPoolExecutor(
            self.config.worker_threads, thread_name_prefix="wasm-worker"
        )
        self._ticker = EpochTicker(self.engine, self.config.epoch_tick_ms)
        self._closed = False

    @property
    def fast_path(self) -> bool:
        """True when the low-level call path is in use."""
        return self.path.name == "fast"

    @property
    def closed(self) -> bool:
        return self._closed

    def compile(self, wasm: bytes, module_hash: str) -> CompiledModule:
        """Validate and compile ``wasm`` (or load it from the disk cache). Raises :class:`ModuleInvalid`.

        Compiling can take a while for big modules: from async code, run it with ``asyncio.to_thread``.
        """
        self.check_open()
        if not isinstance(wasm, bytes | bytearray) or not bytes(wasm[:4]) == WASM_MAGIC:
            raise ModuleInvalid("not a wasm binary (it must start with \\0asm)")
        digest = hashlib.sha256(wasm).hexdigest()
        module = self._cache.load(self.engine, digest) if self._cache else None
        cache_hit = module is not None
        if module is None:
            module = self._compile(wasm)
            if self._cache:
                self._cache.store(module, digest)
        shape = inspect_module(module)
        try:
            pre = self.linker.instantiate_pre(module)
        except wasmtime.WasmtimeError as exc:
            raise ModuleInvalid(f"the module's imports cannot be satisfied: {exc}") from None
        if shape.wasi_unstable:
            self.wasi_unstable.adapter(shape.wasi_unstable)  # compiled now, not in the first guest call
        return CompiledModule(
            module_hash=module_hash,
            exports=shape.exports,
            import_namespaces=shape.import_namespaces,
            uses_wasi=shape.uses_wasi,
            wasi_unstable=shape.wasi_unstable,
            init_exports=shape.init_exports,
            cache_hit=cache_hit,
            wasm_module=module,
            instance_pre=pre,
            owner=self,
        )

    def _compile(self, wasm: bytes) -> wasmtime.Module:
        try:
            return wasmtime.Module(self.engine, bytes(wasm))
        except wasmtime.WasmtimeError as exc:
            raise ModuleInvalid(f"invalid wasm module: {exc}") from None

    def cache_path(self, wasm: bytes) -> Path | None:
        """Where the disk cache keeps ``wasm``'s machine code (None without a cache)."""
        if self._cache is None:
            return None
        return self._cache.path_for(hashlib.sha256(wasm).hexdigest())

    def submit(self, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        """Run ``fn`` on a worker thread. Raises :class:`PoolClosed` once the runtime is closed."""
        self.check_open()
        try:
            return self._executor.submit(fn)
        except RuntimeError:
            raise PoolClosed("the wasm runtime is closed") from None

    async def run(self, fn: Callable[[], T]) -> T:
        """Await ``fn`` run on a worker thread."""
        return await asyncio.wrap_future(self.submit(fn))

    def check_open(self) -> None:
        if self._closed:
            raise PoolClosed("the wasm runtime is closed")

    def close(self) -> None:
        """Finish queued work, stop the worker threads and the ticker. Close pools first. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._executor.shutdown(wait=True)
        self._ticker.stop()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
