"""Errors of the wasm runtime (``host.runtime``).

Every error raised by this package derives from :class:`WasmRuntimeError`, which is a
:class:`host.errors.HostError`. The tree branches by what the caller can do::

    HostError
    └── WasmRuntimeError
        ├── ModuleInvalid          the bytes are not a usable waPC module: fix the module
        ├── InstantiationFailed    the module compiled but an instance could not be made (init trapped, too big)
        ├── GuestError             the guest returned 0 from __guest_call: the actor's own error, a value
        ├── GuestTrapped           the guest trapped; that instance was discarded and will be replaced
        │   └── DeadlineExceeded   the guest ran past its deadline (also an asyncio.TimeoutError)
        ├── HostCallFailed         raised by a host-call handler; its message becomes the guest's host error
        └── PoolClosed             the actor pool (or its runtime) is closed or closing
"""

from __future__ import annotations

import asyncio

from host.errors import HostError


class WasmRuntimeError(HostError):
    """Base class of every error raised by ``host.runtime``."""


class ModuleInvalid(WasmRuntimeError):
    """The bytes are not a valid wasm module, or not one this runtime can host (imports, exports)."""


class InstantiationFailed(WasmRuntimeError):
    """A compiled module could not be instantiated, or one of its init exports failed."""


class GuestError(WasmRuntimeError):
    """The guest's ``__guest_call`` returned failure; the message is the guest's ``__guest_error`` text."""


class GuestTrapped(WasmRuntimeError):
    """The guest trapped (or misused the ABI); the instance it ran in has been discarded."""


class DeadlineExceeded(GuestTrapped, asyncio.TimeoutError):
    """The guest call ran past its wall-clock deadline and was interrupted."""


class HostCallFailed(WasmRuntimeError):
    """Raised by a host-call handler to fail a ``__host_call``; the message is handed to the guest."""


class PoolClosed(WasmRuntimeError):
    """The actor pool or the runtime it belongs to is closed."""
