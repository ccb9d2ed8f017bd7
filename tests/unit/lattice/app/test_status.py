"""Readiness from facts: a link is linked only when its provider says so; refusals and failures show."""

from __future__ import annotations

from pathlib import Path

from lattice.app.status import status
from lattice.app.store import AppFailures
from lattice.provider.status import LinkReport, ProviderReport
from tests.support.app_plan import ACTOR, FACTS, PROV, make_app, running_from


def _report(*links: LinkReport) -> ProviderReport:
    return ProviderReport(PROV, "default", "wasmcloud:httpserver", "N1", links=links)


def test_a_stored_link_the_provider_took_is_linked(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    view = running_from(app.actors[0].image)
    view = type(view)(view.hosts, view.links, (_report(LinkReport(ACTOR, "linked")),))
    state = status(app, view, FACTS)
    assert [x.state for x in state.links] == ["linked"]
    assert state.ready
    assert not state.failed


def test_a_refused_link_fails_the_app_with_the_providers_reason(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    view = running_from(app.actors[0].image)
    why = "address 127.0.0.1:8080 is in use"
    view = type(view)(view.hosts, view.links, (_report(LinkReport(ACTOR, "refused", why)),))
    state = status(app, view, FACTS)
    assert [(x.state, x.error) for x in state.links] == [("refused", why)]
    assert not state.ready
    assert state.failed
    assert state.links_present == 0
    assert any(why in p for p in state.problems())


def test_a_stored_link_not_yet_applied_is_pending(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    view = running_from(app.actors[0].image)
    view = type(view)(view.hosts, view.links, (_report(),))
    assert [x.state for x in status(app, view, FACTS).links] == ["pending"]


def test_a_provider_that_does_not_report_leaves_the_link_unconfirmed(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    state = status(app, running_from(app.actors[0].image), FACTS)
    assert [x.state for x in state.links] == ["unconfirmed"]
    assert state.ready


def test_a_recorded_start_failure_shows_and_fails(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    view = running_from(app.actors[0].image, owned=0)
    state = status(app, view, FACTS, AppFailures({"echo": "actor claims rejected: expired"}))
    echo = state.components[0]
    assert (echo.running, echo.wanted, echo.error) == (0, 1, "actor claims rejected: expired")
    assert state.failed
    assert not state.ready
