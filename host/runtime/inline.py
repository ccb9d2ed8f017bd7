"""When a pool runs a call inline on the event loop, and when it hands calls to its worker threads (ADR 0017).

A short guest call costs a few microseconds; handing it to a thread and back costs several times that. So
``ActorPool.invoke`` runs a call on the calling (event loop) thread when :class:`InlinePolicy` allows it, a gate slot
is free without waiting and an idle instance is ready (instantiating, which runs guest init code, always happens on
a worker). An inline call may only do what cannot block the loop:

* it runs under an epoch budget of :func:`budget_ticks` (10–20 ms with the default 10 ms tick; the actor's own
  deadline when that is shorter, which then ends the call as usual); a call interrupted by the budget, or one that
  makes a host call the handler cannot serve on this thread (anything outside its ``inline_namespaces``, e.g. an RPC
  that needs the loop), is abandoned before it has any effect outside its instance: the instance is discarded (as
  after a trap), log lines it wrote are dropped, and the call runs again from the start on a worker thread (queued
  like any other: it gives its slot back, so a thread waiting for one is never stuck behind it);
* a call that makes such a host call pins the pool to its workers until the module changes (its calls would only
  be abandoned again); so does one seen making it on a worker;
* :data:`SLOW_STRIKES` inline calls in a row longer than the limit (``RuntimeConfig.inline_call_us``) or one
  interrupted by the budget send the pool to its workers on probation: after a run of calls that were short on the
  workers it tries inline again, and every demotion doubles the run needed (:data:`FIRST_PROBATION` …
  :data:`MAX_PROBATION`), so a guest whose calls are sometimes long cannot keep stalling the loop.

The counters are read and written by the loop and the worker threads without a lock: a lost update only shifts a
decision by a call, never a guarantee (the budget and the host-call check hold per call).
"""

from __future__ import annotations

import math

DEFAULT_INLINE_CALL_US = 500
"""Longest guest call (µs) that may keep running inline; 0 hands every call to a worker thread."""
SLOW_STRIKES = 3
"""Inline calls in a row over the limit before the pool hands calls to its workers (one would be a fluke:
a thread preempted by the OS looks slow too)."""
FIRST_PROBATION = 16
"""Short calls on the workers before inline is tried again after the first demotion (doubled each time)."""
MAX_PROBATION = 65_536


def budget_ticks(inline_call_us: int, epoch_tick_ms: int) -> int:
    """Epoch ticks an inline call may run before it is moved: at least two, so that it is stopped only after a
    whole tick (a call that starts just before a tick is not cut short)."""
    return max(2, math.ceil(inline_call_us / 1000 / epoch_tick_ms) + 1)


class InlinePolicy:
    """The inline/worker decision of one pool for one module (see the module docstring)."""

    def __init__(self, inline_call_us: int) -> None:
        self.limit_s = inline_call_us / 1e6
        self.allowed = inline_call_us > 0
        self.pinned = not self.allowed
        self._slow = 0
        self._short = 0
        self._needed = FIRST_PROBATION // 2

    def after_inline(self, seconds: float) -> None:
        """An inline call finished (with any outcome) in ``seconds``."""
        if seconds <= self.limit_s:
            self._slow = 0
            return
        self._slow += 1
        if self._slow >= SLOW_STRIKES:
            self._demote()

    def moved(self, blocking: bool) -> None:
        """An inline call was abandoned: it made a blocking host call (``blocking``) or ran past its budget."""
        if blocking:
            self.pinned = True
        self._demote()

    def after_worker(self, seconds: float, blocking: bool) -> None:
        """A call finished on a worker thread (or a sync caller's) in ``seconds``."""
        if self.pinned:
            return
        if blocking:
            self.allowed, self.pinned = False, True
            return
        if self.allowed:
            return
        if seconds > self.limit_s:
            self._short = 0
            return
        self._short += 1
        if self._short >= self._needed:
            self.allowed = True
            self._short = self._slow = 0

    def _demote(self) -> None:
        if self.allowed:
            self._needed = min(self._needed * 2, MAX_PROBATION)
        self.allowed = False
        self._short = self._slow = 0
