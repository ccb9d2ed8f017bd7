"""The one way tests wait for a condition: poll it until it holds, fail loudly when it does not in time.

Use it where nothing can be subscribed to (host state, process output, a port); where an event or a reply exists,
wait for that instead. ``check`` may be a plain function or a coroutine function; its truthy result is returned.
Pacing — a request rate, a fault schedule — is no wait for a condition: it sleeps until a time, with
:func:`sleep_until`.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_POLL_S = 0.02

Check = Callable[[], T | Awaitable[T]]


class WaitTimeout(AssertionError):
    """The condition did not hold in time (an AssertionError, so pytest reports it as a failed check)."""


def _failure(what: str, timeout_s: float, last: object, error: BaseException | None) -> WaitTimeout:
    why = f"last error: {error!r}" if error is not None else f"last result: {last!r}"
    return WaitTimeout(f"timed out after {timeout_s:g}s waiting for {what} ({why})")


async def wait_until(
    check: Check[Any],
    timeout_s: float = DEFAULT_TIMEOUT_S,
    what: str = "the condition",
    *,
    poll_s: float = DEFAULT_POLL_S,
    retry_on: tuple[type[BaseException], ...] = (),
) -> Any:
    """Poll ``check`` until it returns something truthy and return that; exceptions in ``retry_on`` count as
    "not yet" (the last one is named on failure)."""
    deadline = time.monotonic() + timeout_s
    last: object = None
    error: BaseException | None = None
    while True:
        try:
            last = check()
            if inspect.isawaitable(last):
                last = await last
            error = None
        except retry_on as exc:
            last, error = None, exc
        if last:
            return last
        if time.monotonic() >= deadline:
            raise _failure(what, timeout_s, last, error)
        await asyncio.sleep(poll_s)


async def sleep_until(when: float) -> None:
    """Sleep until ``time.monotonic()`` reaches ``when`` (return at once when it is past)."""
    await asyncio.sleep(max(0.0, when - time.monotonic()))


def wait_until_blocking(
    check: Callable[[], T],
    timeout_s: float = DEFAULT_TIMEOUT_S,
    what: str = "the condition",
    *,
    poll_s: float = DEFAULT_POLL_S,
    retry_on: tuple[type[BaseException], ...] = (),
) -> T:
    """:func:`wait_until` for tests without an event loop (subprocess CLIs): sleeps between polls."""
    deadline = time.monotonic() + timeout_s
    last: T | None = None
    error: BaseException | None = None
    while True:
        try:
            last, error = check(), None
        except retry_on as exc:
            last, error = None, exc
        if last:
            return last
        if time.monotonic() >= deadline:
            raise _failure(what, timeout_s, last, error)
        time.sleep(poll_s)
