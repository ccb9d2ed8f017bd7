"""The wasm runtime: hosts waPC actors in wasmtime. Knows nothing of NATS or the lattice.

Usage::

    with Runtime(RuntimeConfig(cache_dir=Path("/var/cache/wasmlattice"))) as runtime:
        module = runtime.compile(wasm_bytes, module_hash)          # ModuleInvalid if unusable
        pool = await ActorPool.start(runtime, module, Limits(max_instances=4),
                                     host_calls=handler, log=print, name="echo")
        reply = await pool.invoke("Echo.Say", b"hi")                # GuestError / GuestTrapped / ...
        await pool.swap(runtime.compile(new_bytes, new_hash))       # live update
        await pool.close()

Public API:

* :class:`Runtime` (``compile``, ``close``, ``fast_path``, ``cache_path``) built from a frozen
  :class:`RuntimeConfig` (``cache_dir``, ``epoch_tick_ms``, ``fast_path``, ``worker_threads``, ``inline_call_us``).
* :class:`CompiledModule`: ``module_hash``, ``exports``, ``import_namespaces``, ``uses_wasi``,
  ``wasi_unstable``, ``init_exports``, ``cache_hit``.
* :class:`ActorPool`: ``start``/constructor, ``invoke``, ``invoke_sync``, ``scale``, ``swap``,
  ``close``/``close_sync``, ``in_flight``, ``size``, ``max_instances``, ``module``, ``runs_inline``.
* :class:`Limits` (``memory_bytes``, ``deadline_ms``, ``max_instances``) with ``DEFAULT_*`` constants.
* :class:`HostCallHandler`: ``(binding, namespace, operation, payload) -> bytes``, called on the thread of the
  guest call; raise :class:`HostCallFailed` to hand the guest an error message. Its ``inline_namespaces`` (if any)
  are the namespaces it serves without blocking, which a call inline on the event loop may use.
* Errors: see :mod:`host.runtime.errors` (tree in its docstring).

Choices worth knowing:

* Short guest calls run inline on the event loop, under an epoch budget and with only non-blocking host calls
  (:mod:`host.runtime.inline`); the others on each pool's own worker threads (at most one per instance slot; wasm
  releases the GIL), fed by a queue and answering through one loop wake-up per batch. The runtime's shared executor
  runs only start-up, swap and compile work.
* Two wasmtime call paths give identical results: the fast low-level one (``wasmtime._ffi``, pinned to
  wasmtime 50.0.1) and the public-API one, used when ``RuntimeConfig.fast_path`` is False or the fast
  path is unavailable (logged). See :mod:`host.runtime.fastcall`.
* Init exports run once per instance, each if present: ``start``, ``wapc_init``, ``_start``, then
  ``_initialize`` only when there is no ``_start`` (WASI: a module is either a command or a reactor,
  and running both would run its constructors twice). ``proc_exit(0)`` from an init export is success.
* WASI: preview 1 is wasmtime's; snapshot 0 (``wasi_unstable``) is bound to it, five functions adapted to the
  older layouts, through a small adapter instance per instance (:mod:`host.runtime.wasi_unstable`, ADR 0012).
* ``__guest_call`` returning 1 means success even if the guest also set an error (as OTP did); a
  missing response is ``b""``. Any trap, deadline or bad guest pointer discards that instance.
* The deadline covers the whole call, host calls included; the guest gets at least ``deadline_ms``
  and is stopped within one epoch tick after it (checked when it next runs wasm code).
* Each instance reserves (but does not use) 4 GiB + guard of address space: the price of a fixed
  memory base; a 47-bit address space still holds well over 10,000 instances.
"""

from __future__ import annotations

from host.runtime.abi import HostCallHandler, Log
from host.runtime.engine import DEFAULT_EPOCH_TICK_MS, DEFAULT_WORKER_THREADS, Runtime, RuntimeConfig
from host.runtime.errors import (
    DeadlineExceeded,
    GuestError,
    GuestTrapped,
    HostCallFailed,
    InstantiationFailed,
    ModuleInvalid,
    PoolClosed,
    WasmRuntimeError,
)
from host.runtime.limits import DEFAULT_DEADLINE_MS, DEFAULT_MAX_INSTANCES, DEFAULT_MEMORY_BYTES, Limits
from host.runtime.module import CompiledModule
from host.runtime.pool import ActorPool

__all__ = [
    "DEFAULT_DEADLINE_MS",
    "DEFAULT_EPOCH_TICK_MS",
    "DEFAULT_MAX_INSTANCES",
    "DEFAULT_MEMORY_BYTES",
    "DEFAULT_WORKER_THREADS",
    "ActorPool",
    "CompiledModule",
    "DeadlineExceeded",
    "GuestError",
    "GuestTrapped",
    "HostCallFailed",
    "HostCallHandler",
    "InstantiationFailed",
    "Limits",
    "Log",
    "ModuleInvalid",
    "PoolClosed",
    "Runtime",
    "RuntimeConfig",
    "WasmRuntimeError",
]
