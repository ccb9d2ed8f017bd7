"""Tunables of the provider supervisor, with the protocol's defaults (docs/protocol.md §8) and a restart backoff."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_HEALTH_FIRST_S = 5.0
DEFAULT_HEALTH_INTERVAL_S = 30.0
DEFAULT_START_TIMEOUT_S = 15.0
DEFAULT_READY_POLL_S = 0.1
DEFAULT_SHUTDOWN_REQUEST_S = 2.0
DEFAULT_EXIT_GRACE_S = 3.0
DEFAULT_BACKOFF_FIRST_S = 0.5
DEFAULT_BACKOFF_MAX_S = 30.0
DEFAULT_BACKOFF_RESET_AFTER_S = 60.0


@dataclass(frozen=True)
class SupervisorTimings:
    health_first_s: float = DEFAULT_HEALTH_FIRST_S
    health_interval_s: float = DEFAULT_HEALTH_INTERVAL_S
    start_timeout_s: float = DEFAULT_START_TIMEOUT_S
    ready_poll_s: float = DEFAULT_READY_POLL_S
    shutdown_request_s: float = DEFAULT_SHUTDOWN_REQUEST_S
    exit_grace_s: float = DEFAULT_EXIT_GRACE_S
    backoff_first_s: float = DEFAULT_BACKOFF_FIRST_S
    backoff_max_s: float = DEFAULT_BACKOFF_MAX_S
    backoff_reset_after_s: float = DEFAULT_BACKOFF_RESET_AFTER_S


DEFAULT_TIMINGS = SupervisorTimings()


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
