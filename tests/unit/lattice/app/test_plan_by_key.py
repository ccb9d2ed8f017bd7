"""Placements are matched by key (never by path text), links planned with the starts, undeploy owns its instances."""

from __future__ import annotations

from pathlib import Path

from lattice.app import plan
from lattice.app.plan import ActorView, HostView, LatticeView, ProviderView
from tests.support.app_plan import ACTOR, FACTS, HTTP, NOTES, OTHER, PROV, make_app, running_from


def test_an_actor_started_from_another_checkouts_path_counts_as_the_same(tmp_path: Path) -> None:
    first, second = make_app(tmp_path / "a"), make_app(tmp_path / "b")
    assert first.actors[0].image != second.actors[0].image
    view = running_from(first.actors[0].image)
    assert plan.plan(second, view, FACTS) == []


def test_without_facts_refs_are_compared_normalised(tmp_path: Path) -> None:
    app = make_app(tmp_path / "a")
    spelled = str(tmp_path / "a" / "." / "echo.wasm")  # a path, not file://, with a detour
    assert plan.plan(app, running_from(spelled)) == []


def test_links_are_planned_in_the_same_pass_as_the_starts_they_need(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    actions = plan.plan(app, LatticeView((HostView("N1", {}),)), FACTS)
    kinds = [type(a).__name__ for a in actions]
    assert kinds == ["PutLink", "StartProvider", "StartActor"], kinds
    link = actions[0]
    assert isinstance(link, plan.PutLink)
    assert (link.link.actor_id, link.link.provider_id) == (ACTOR, PROV)


def test_instances_of_the_app_that_no_component_accounts_for_are_stopped(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    view = running_from(app.actors[0].image)
    stray = ActorView(OTHER, "file:///old/echo.wasm", 2)
    foreign = ActorView("M" + "D" * 55, "file:///x.wasm", 0)  # not the app's: never touched
    host = view.hosts[0]
    view = LatticeView((HostView("N1", {}, (*host.actors, stray, foreign), host.providers),), view.links)
    assert plan.plan(app, view, FACTS) == [plan.StopActor("N1", OTHER, 2, NOTES)]


def test_undeploy_stops_every_owned_instance_and_only_those(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    owned_elsewhere = ActorView(OTHER, "file:///another/checkout/echo.wasm", 4)
    foreign = ActorView("M" + "D" * 55, "file:///x.wasm", 0)
    foreign_provider = ProviderView("V" + "E" * 55, HTTP, "other", "wasmcloud:httpserver", False)
    view = running_from(app.actors[0].image)
    host = view.hosts[0]
    hosts = (HostView("N1", {}, (*host.actors, owned_elsewhere, foreign), (*host.providers, foreign_provider)),)
    actions = plan.plan_removal(app, LatticeView(hosts, view.links), FACTS)
    assert plan.DeleteLink(ACTOR, "wasmcloud:httpserver", "default") in actions
    stops = {(a.actor_id, a.count) for a in actions if isinstance(a, plan.StopActor)}
    assert stops == {(ACTOR, 1), (OTHER, 4)}
    assert [a.provider_id for a in actions if isinstance(a, plan.StopProvider)] == [PROV]
