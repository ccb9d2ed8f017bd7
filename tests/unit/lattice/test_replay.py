"""The replay cache: each invocation id once within the window, bounded memory, never a replay accepted."""

from __future__ import annotations

import pytest

from lattice.wire.errors import ForgedInvocation, ReplayedInvocation
from lattice.wire.replay import ReplayCache

NOW = 1_000_000.0
WINDOW = 60.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def cache(max_entries: int = 1000) -> tuple[ReplayCache, Clock]:
    clock = Clock()
    return ReplayCache(WINDOW, max_entries, clock), clock


def test_a_second_invocation_with_the_same_id_is_a_replay() -> None:
    replays, _ = cache()
    replays.admit("a", int(NOW))
    replays.admit("b", int(NOW))
    with pytest.raises(ReplayedInvocation, match="invocation a was already received: a replay"):
        replays.admit("a", int(NOW))
    assert issubclass(ReplayedInvocation, ForgedInvocation)


def test_tokens_outside_the_window_are_refused() -> None:
    replays, _ = cache()
    with pytest.raises(ReplayedInvocation, match="outside the 60s replay window"):
        replays.admit("old", int(NOW - WINDOW - 1))
    with pytest.raises(ReplayedInvocation, match="ahead of this receiver's clock"):
        replays.admit("future", int(NOW + WINDOW + 1))
    replays.admit("skewed", int(NOW + WINDOW - 1))  # clock skew within the window is fine


def test_ids_are_forgotten_once_their_tokens_leave_the_window() -> None:
    replays, clock = cache()
    replays.admit("a", int(NOW))
    clock.now += WINDOW + 1
    replays.admit("b", int(clock.now))
    assert len(replays) == 1, "a left the window with its token; remembering it is no longer needed"
    with pytest.raises(ReplayedInvocation, match="outside"):
        replays.admit("a", int(NOW))  # and a replay of it is refused by its age


def test_a_full_cache_stays_bounded_and_still_refuses_the_replay_of_a_forgotten_id() -> None:
    replays, _ = cache(max_entries=3)
    for n, name in enumerate("abcd"):
        replays.admit(name, int(NOW) + n)
    assert len(replays) == 3
    with pytest.raises(ReplayedInvocation, match="older than every invocation the full replay cache"):
        replays.admit("a", int(NOW))  # forgotten to make room, but its age gives it away
    replays.admit("e", int(NOW) + 10)  # fresh tokens still pass


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="positive window"):
        ReplayCache(0)
