"""A small live fuzz run (the full one is bench/fuzz_lattice.py): 2,000 generated probes at a whole running
lattice — host process, six example actors, three providers — then everything must still be alive and correct."""

from __future__ import annotations

import logging

import pytest
from aiohttp.http_exceptions import LineTooLong
from wasmlattice_httpserver.listener import ClientFaults

from tests.fuzz.checks import log_findings, still_serving, targets_of
from tests.fuzz.runner import FuzzRun
from tests.support.rig import ExampleLattice, RigConfig

PROBES = 2000
SEED = 7
BUDGET_S = 30.0


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_two_thousand_probes_are_all_answered_and_nothing_breaks() -> None:
    async with ExampleLattice(RigConfig()) as rig:
        pids = rig.processes()
        stats = await FuzzRun(rig.nc, targets_of(rig), SEED).run(PROBES, BUDGET_S)
        problems = await still_serving(rig, pids)
        tracebacks = log_findings(rig)
    assert stats.sent == PROBES, f"only {stats.sent} probes in {BUDGET_S}s"
    assert stats.failed == 0, stats.samples
    assert stats.requests == stats.replies
    assert stats.http == stats.http_answered
    assert not stats.internal, stats.samples
    assert problems == []
    assert tracebacks == []
    # every family was exercised
    assert {f.split("/")[0] for f in stats.families} == {"actor-rpc", "provider-rpc", "provider-chan", "ctl", "http"}


def test_client_garbage_is_one_warning_line_not_a_traceback() -> None:
    try:
        raise LineTooLong(b"aaaa", 8190)
    except LineTooLong as exc:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "Error handling request from %s", ("1.2.3.4",),
                                   (type(exc), exc, exc.__traceback__))  # fmt: skip
    assert ClientFaults().filter(record)
    assert record.levelno == logging.WARNING
    assert record.exc_info is None
    assert record.getMessage().startswith("Error handling request from 1.2.3.4: 400 Got more than 8190 bytes")


def test_a_server_fault_keeps_its_traceback() -> None:
    try:
        raise RuntimeError("bug")
    except RuntimeError as exc:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "Error handling request", (),
                                   (type(exc), exc, exc.__traceback__))  # fmt: skip
    assert ClientFaults().filter(record)
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
