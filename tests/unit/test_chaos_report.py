"""The chaos run's arithmetic (tests/support/chaos/report.py, load.py): the lost-write detector must see a loss, kill
windows merge, requests are counted inside or outside them, and failures are sorted into clean and not clean."""

from __future__ import annotations

import aiohttp

from lattice.rpc import RemoteError, RpcTimeout
from tests.support.chaos.faults import Fault
from tests.support.chaos.load import HttpStatus, Ledger, Outcome, WrongAnswer, classify
from tests.support.chaos.report import kill_windows, request_figures, write_figures


def _ledger(acked: dict[str, list[int]], attempts: dict[str, int]) -> Ledger:
    ledger = Ledger()
    for path, values in acked.items():
        ledger.acked[path] += values
    for path, n in attempts.items():
        ledger.attempts[path] = n
    return ledger


def test_every_acknowledged_count_in_the_store_is_no_loss() -> None:
    figures = write_figures(_ledger({"/a": [1, 2, 4]}, {"/a": 5}), {"/a": 4})
    assert figures["keys"]["/a"] == {
        "attempts": 5,
        "acknowledged": 3,
        "stored": 4,
        "lost": 0,
        "applied_unacknowledged": 1,  # count 3 landed, its request failed for the client
        "phantom": 0,
    }


def test_a_store_that_went_back_loses_the_counts_above_it() -> None:
    figures = write_figures(_ledger({"/a": [1, 2, 3, 4]}, {"/a": 4}), {"/a": 2})
    assert figures["keys"]["/a"]["lost"] == 2


def test_one_count_acknowledged_twice_is_a_lost_increment() -> None:
    figures = write_figures(_ledger({"/a": [1, 2, 2, 3]}, {"/a": 4}), {"/a": 4})
    assert figures["keys"]["/a"]["lost"] == 1
    assert figures["keys"]["/a"]["applied_unacknowledged"] == 1


def test_more_increments_stored_than_sent_are_phantoms() -> None:
    figures = write_figures(_ledger({"/a": [1], "/b": [1, 2]}, {"/a": 1, "/b": 2}), {"/a": 3, "/b": 2})
    assert figures["keys"]["/a"]["phantom"] == 2
    assert figures["total"]["phantom"] == 2
    assert figures["total"]["acknowledged"] == 3


def test_kill_windows_open_before_the_kill_and_merge_when_they_overlap() -> None:
    faults = [
        Fault("host", 0, "host 0", 1, killed_at=10.0, recovered_at=15.0),
        Fault("nats", 1, "node 1", 2, killed_at=18.0, recovered_at=20.0),  # starts at 16 < 17: merges
        Fault("provider", 0, "p", 3, killed_at=40.0),  # never recovered: open to the end
    ]
    assert kill_windows(faults, end=50.0) == [(8.0, 22.0), (38.0, 52.0)]


def test_requests_are_inside_when_they_start_inside_a_window() -> None:
    outcomes = [
        Outcome("echo", 1.0, 1.5),
        Outcome("echo", 7.0, 9.5),  # outside, answered late
        Outcome("echo", 8.5, 9.0, error="HttpStatus: 503", clean=True),  # inside
        Outcome("pinger", 30.0, 30.1, error="no answer", clean=False),  # outside, not answered
    ]
    rows = request_figures(outcomes, [(8.0, 22.0)])
    assert rows["echo"]["inside_windows"] == 1
    assert rows["echo"]["outside_windows"] == 2
    assert rows["echo"]["outside_answered_2s"] == 1
    assert rows["all"]["not_clean"] == 1
    assert rows["all"]["outside_answered_pct"] == round(100 / 3, 3)


def test_clean_errors_are_typed_refusals_and_bounded_rpc_waits() -> None:
    assert classify(RpcTimeout("request timeout: no reply in 2.0s"))[1] is True
    assert classify(RemoteError("actor trapped"))[1] is True
    assert classify(HttpStatus("kvcounter answered 503"))[1] is True
    assert classify(aiohttp.ClientConnectionError("connection refused"))[1] is True
    assert classify(TimeoutError())[0].startswith("no answer")
    assert classify(TimeoutError())[1] is False
    assert classify(WrongAnswer("echo described another request"))[1] is False
    assert classify(KeyError("counter"))[1] is False
