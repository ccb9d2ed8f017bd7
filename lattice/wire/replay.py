"""A bounded cache of the invocation ids received within their validity window: a replayed invocation is refused.

Anti-forgery (docs/protocol.md §4.3) proves who signed an invocation and that nothing in it changed, but a captured
invocation sent again to the same target passes it unchanged. wasmbus tokens carry ``iat`` and no expiry, so we
give them a validity window of :data:`DEFAULT_WINDOW_S` either side of the receiver's clock: an older (or
future-dated) token is refused, and every invocation id admitted in the window is remembered until its token leaves
the window. A second invocation with a remembered id is a replay.

Memory is bounded (:data:`DEFAULT_MAX_ENTRIES` ids, about 250 bytes each). When full, the id with the oldest
``iat`` is forgotten and the *horizon* moves up to that ``iat``: a token issued at or before the horizon is refused
too, since its id might be a forgotten one. Under a load beyond ``max_entries / window`` invocations per second the
window that is accepted therefore narrows towards the present, but a replay is never accepted.

One cache per receiving process (a host's inbound pipeline, a provider's dispatcher): ids are UUIDs, so two
legitimate invocations never share one. Not thread-safe: both pipelines check on their event loop.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable

from lattice.wire.errors import ReplayedInvocation

DEFAULT_WINDOW_S = 300.0  # ± the receiver's clock; also the tolerated clock skew between lattice members
DEFAULT_MAX_ENTRIES = 100_000


class ReplayCache:
    """Admits each invocation id once while its token is within the window."""

    def __init__(
        self,
        window_s: float = DEFAULT_WINDOW_S,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if window_s <= 0 or max_entries < 1:
            raise ValueError("a replay cache needs a positive window and room for at least one id")
        self.window_s = window_s
        self.max_entries = max_entries
        self._clock = clock
        self._seen: dict[str, int] = {}
        self._by_age: list[tuple[int, str]] = []  # a heap of (iat, id): the oldest token first
        self._horizon = -math.inf  # ids of tokens issued at or before this may have been forgotten

    def __len__(self) -> int:
        return len(self._seen)

    def admit(self, invocation_id: str, issued_at: int) -> None:
        """Remember ``invocation_id``; :class:`ReplayedInvocation` when it was seen or cannot be checked."""
        now = self._clock()
        self._forget_older_than(now - self.window_s)
        if issued_at > now + self.window_s:
            raise ReplayedInvocation(
                f"invocation token is dated {issued_at - now:.0f}s ahead of this receiver's clock "
                f"(more than the {self.window_s:g}s allowed)"
            )
        if issued_at < now - self.window_s:
            raise ReplayedInvocation(
                f"invocation token was issued {now - issued_at:.0f}s ago, outside the {self.window_s:g}s replay window"
            )
        if issued_at <= self._horizon:
            raise ReplayedInvocation(
                "invocation token is older than every invocation the full replay cache still remembers; send it again"
            )
        if invocation_id in self._seen:
            raise ReplayedInvocation(f"invocation {invocation_id} was already received: a replay")
        self._seen[invocation_id] = issued_at
        heapq.heappush(self._by_age, (issued_at, invocation_id))
        while len(self._seen) > self.max_entries:
            oldest, gone = heapq.heappop(self._by_age)
            del self._seen[gone]
            self._horizon = max(self._horizon, oldest)

    def _forget_older_than(self, floor: float) -> None:
        while self._by_age and self._by_age[0][0] < floor:
            _, gone = heapq.heappop(self._by_age)
            del self._seen[gone]
