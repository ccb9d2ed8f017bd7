from __future__ import annotations

from pathlib import Path

import pytest

from lattice.app import manifest, plan
from lattice.app.errors import Unsatisfiable
from lattice.app.facts import ModuleFacts
from lattice.app.plan import ActorView, HostView, LatticeView, ProviderView
from lattice.wire import LinkDefinition

ACTOR = "M" + "A" * 55
PROV = "V" + "B" * 55
HTTP_REF = "python:wasmlattice_httpserver"


def _app(tmp_path: Path, replicas: int = 3, spread: list[dict[str, object]] | None = None) -> manifest.Application:
    (tmp_path / "echo.wasm").write_bytes(b"\0asm\1\0\0\0")
    scaler: dict[str, object] = {"replicas": replicas}
    if spread is not None:
        scaler["spread"] = spread
    return manifest.parse(
        {
            "apiVersion": "core.oam.dev/v1beta1",
            "kind": "Application",
            "metadata": {"name": "demo"},
            "spec": {
                "components": [
                    {
                        "name": "echo",
                        "type": "actor",
                        "properties": {"image": "echo.wasm"},
                        "traits": [
                            {"type": "spreadscaler", "properties": scaler},
                            {"type": "linkdef", "properties": {"target": "http", "values": {"port": "8080"}}},
                        ],
                    },
                    {
                        "name": "http",
                        "type": "capability",
                        "properties": {"image": HTTP_REF, "contract": "wasmcloud:httpserver"},
                    },
                ]
            },
        },
        tmp_path,
    )


def test_empty_lattice_starts_everything_spread_evenly(tmp_path: Path) -> None:
    app = _app(tmp_path)
    view = LatticeView((HostView("N1", {}), HostView("N2", {})))
    actions = plan.plan(app, view)
    starts = sorted((a.host_id, a.count) for a in actions if isinstance(a, plan.StartActor))
    assert starts == [("N1", 2), ("N2", 1)]
    providers = [a for a in actions if isinstance(a, plan.StartProvider)]
    assert len(providers) == 1
    assert providers[0].image_ref == HTTP_REF
    assert all(a.annotations == {"wasmcloud.dev/appspec": "demo"} for a in actions if isinstance(a, plan.StartActor))
    assert not [a for a in actions if isinstance(a, plan.PutLink)], "no link until both ends run"


def _running(app: manifest.Application, counts: dict[str, int], link: bool) -> LatticeView:
    image = app.actors[0].image
    hosts = []
    for i, (host_id, count) in enumerate(counts.items()):
        actors = (ActorView(ACTOR, image, count),) if count else ()
        providers = (ProviderView(PROV, HTTP_REF, "default", "wasmcloud:httpserver", True),) if i == 0 else ()
        hosts.append(HostView(host_id, {}, actors, providers))
    links = (LinkDefinition(ACTOR, PROV, "wasmcloud:httpserver", "default", {"port": "8080"}),) if link else ()
    return LatticeView(tuple(hosts), links)


def test_converged_lattice_needs_nothing(tmp_path: Path) -> None:
    app = _app(tmp_path)
    assert plan.plan(app, _running(app, {"N1": 2, "N2": 1}, link=True)) == []


def test_link_is_put_once_both_ends_run(tmp_path: Path) -> None:
    app = _app(tmp_path)
    actions = plan.plan(app, _running(app, {"N1": 2, "N2": 1}, link=False))
    assert actions == [plan.PutLink(LinkDefinition(ACTOR, PROV, "wasmcloud:httpserver", "default", {"port": "8080"}))]


def test_lost_host_is_made_up_on_the_survivor(tmp_path: Path) -> None:
    app = _app(tmp_path)
    view = _running(app, {"N1": 2}, link=True)
    assert plan.plan(app, view) == [plan.StartActor("N1", app.actors[0].image, 1, {"wasmcloud.dev/appspec": "demo"})]


def test_too_many_instances_are_stopped(tmp_path: Path) -> None:
    app = _app(tmp_path, replicas=1)
    view = _running(app, {"N1": 3}, link=True)
    assert plan.plan(app, view) == [plan.StopActor("N1", ACTOR, 2, {"wasmcloud.dev/appspec": "demo"})]


def test_spread_by_labels_and_weights(tmp_path: Path) -> None:
    spread = [
        {"name": "east", "requirements": {"zone": "east"}, "weight": 75},
        {"name": "west", "requirements": {"zone": "west"}, "weight": 25},
    ]
    app = _app(tmp_path, replicas=4, spread=spread)
    view = LatticeView((HostView("E", {"zone": "east"}), HostView("W", {"zone": "west"})))
    starts = {a.host_id: a.count for a in plan.plan(app, view) if isinstance(a, plan.StartActor)}
    assert starts == {"E": 3, "W": 1}


def test_unsatisfiable_spread_is_refused(tmp_path: Path) -> None:
    app = _app(tmp_path, spread=[{"name": "gpu", "requirements": {"gpu": "yes"}}])
    with pytest.raises(Unsatisfiable, match="no host matches spread 'gpu'"):
        plan.check_satisfiable(app, [HostView("N1", {"gpu": "no"})])
    with pytest.raises(Unsatisfiable, match="no host answered"):
        plan.check_satisfiable(app, [])


def test_removal_unlinks_and_stops_only_app_workloads(tmp_path: Path) -> None:
    app = _app(tmp_path)
    view = _running(app, {"N1": 2, "N2": 1}, link=True)
    actions = plan.plan_removal(app, view)
    assert plan.DeleteLink(ACTOR, "wasmcloud:httpserver", "default") in actions
    assert {(a.host_id, a.count) for a in actions if isinstance(a, plan.StopActor)} == {("N1", 2), ("N2", 1)}
    assert [a.host_id for a in actions if isinstance(a, plan.StopProvider)] == ["N1"]


def test_older_revisions_are_live_updated(tmp_path: Path) -> None:
    app = _app(tmp_path, replicas=1)
    image = app.actors[0].image
    old = LatticeView((HostView("N1", {}, (ActorView(ACTOR, image, 1, revision=1),)),))
    notes = {"wasmcloud.dev/appspec": "demo"}
    assert plan.UpdateActor("N1", ACTOR, image, notes) in plan.plan(app, old, {"echo": ModuleFacts(ACTOR, 2)})
    assert not [a for a in plan.plan(app, old, {"echo": ModuleFacts(ACTOR, 1)}) if isinstance(a, plan.UpdateActor)]
    assert not [a for a in plan.plan(app, old) if isinstance(a, plan.UpdateActor)]
