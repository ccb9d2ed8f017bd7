"""Tunables of the provider supervisor, with the protocol's defaults (docs/protocol.md §8) and a restart backoff."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SupervisorTimings:
    """Seconds: first health check after start, then every ``health_interval_s``; ready within
    ``start_timeout_s`` (polled every ``ready_poll_s``); a stop asks for ``shutdown_request_s``, then waits
    ``exit_grace_s`` before the kill; restarts wait ``backoff_first_s``, doubling up to ``backoff_max_s``, back to
    the first delay after a run of ``backoff_reset_after_s``."""

    health_first_s: float = 5.0
    health_interval_s: float = 30.0
    start_timeout_s: float = 15.0
    ready_poll_s: float = 0.1
    shutdown_request_s: float = 2.0
    exit_grace_s: float = 3.0
    backoff_first_s: float = 0.5
    backoff_max_s: float = 30.0
    backoff_reset_after_s: float = 60.0


DEFAULT_TIMINGS = SupervisorTimings()
"""The protocol's defaults (docs/protocol.md §8)."""


class Backoff:
    """Exponential restart delays: first, 2×, 4× … up to max; back to first after a run longer than reset_after."""

    def __init__(self, timings: SupervisorTimings) -> None:
        self._t = timings
        self._next = timings.backoff_first_s

    def delay(self, uptime_s: float) -> float:
        if uptime_s >= self._t.backoff_reset_after_s:
            self._next = self._t.backoff_first_s
        delay = self._next
        self._next = min(self._next * 2, self._t.backoff_max_s)
        return delay
