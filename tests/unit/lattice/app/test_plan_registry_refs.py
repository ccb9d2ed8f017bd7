"""Registry refs in a manifest: a new tag (or digest) of the same repository rolls the running actor forward by live
update — a host runs one ref per actor and refuses a second start from another ref."""

from __future__ import annotations

from typing import Any

import pytest

from lattice.app import manifest, plan
from lattice.app.plan import ActorView, HostView, LatticeView, repository_of

ACTOR = "M" + "A" * 55
OTHER = "M" + "C" * 55
NOTES = {"wasmcloud.dev/appspec": "demo"}


def _app(*images: str, replicas: int = 1) -> manifest.Application:
    components: list[dict[str, Any]] = [
        {
            "name": f"echo{i}",
            "type": "actor",
            "properties": {"image": image},
            "traits": [{"type": "spreadscaler", "properties": {"replicas": replicas}}],
        }
        for i, image in enumerate(images)
    ]
    doc = {"apiVersion": "core.oam.dev/v1beta1", "kind": "Application", "metadata": {"name": "demo"}}
    return manifest.parse(doc | {"spec": {"components": components}})


def _view(*actors: ActorView) -> LatticeView:
    return LatticeView((HostView("N1", {}, actors),))


@pytest.mark.parametrize(
    ("ref", "repository"),
    [
        ("reg.io/acme/echo:1", "reg.io/acme/echo"),
        ("oci://reg.io/acme/echo:2", "reg.io/acme/echo"),
        ("localhost:5000/echo@sha256:" + "a" * 64, "localhost:5000/echo"),
        ("echo:1", "docker.io/library/echo"),
        ("lattice://echo:0.1.0", "lattice://echo"),
        ("file:///srv/echo.wasm", None),
        ("python:wasmlattice_keyvalue", None),
        ("bindle://x/y", None),
    ],
)
def test_repository_of(ref: str, repository: str | None) -> None:
    assert repository_of(ref) == repository


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("reg.io/acme/echo:1", "reg.io/acme/echo:2"),
        ("lattice://echo:0.1.0", "lattice://echo:0.2.0"),
        ("reg.io/acme/echo:1", "oci://reg.io/acme/echo@sha256:" + "b" * 64),
    ],
)
def test_a_new_tag_is_a_live_update_not_a_second_start(old: str, new: str) -> None:
    app = _app(new, replicas=2)
    actions = plan.plan(app, _view(ActorView(ACTOR, old, 2)))
    assert actions == [plan.UpdateActor("N1", ACTOR, new, NOTES)]


def test_a_new_tag_with_more_replicas_updates_then_starts_the_rest() -> None:
    app = _app("reg.io/acme/echo:2", replicas=3)
    actions = plan.plan(app, _view(ActorView(ACTOR, "reg.io/acme/echo:1", 1)))
    assert actions == [
        plan.UpdateActor("N1", ACTOR, "reg.io/acme/echo:2", NOTES),
        plan.StartActor("N1", "reg.io/acme/echo:2", 2, NOTES),
    ]


def test_a_new_tag_with_fewer_replicas_updates_and_stops_the_surplus() -> None:
    app = _app("reg.io/acme/echo:2", replicas=1)
    actions = plan.plan(app, _view(ActorView(ACTOR, "reg.io/acme/echo:1", 3)))
    assert actions == [
        plan.UpdateActor("N1", ACTOR, "reg.io/acme/echo:2", NOTES),
        plan.StopActor("N1", ACTOR, 2, NOTES),
    ]


def test_once_updated_nothing_is_left_to_do() -> None:
    app = _app("reg.io/acme/echo:2", replicas=2)
    assert plan.plan(app, _view(ActorView(ACTOR, "oci://reg.io/acme/echo:2", 2))) == []


def test_another_repository_is_stopped_and_started_not_updated() -> None:
    app = _app("reg.io/acme/hello:1")
    actions = plan.plan(app, _view(ActorView(ACTOR, "reg.io/acme/echo:1", 1)))
    assert plan.UpdateActor("N1", ACTOR, "reg.io/acme/hello:1", NOTES) not in actions
    assert plan.StartActor("N1", "reg.io/acme/hello:1", 1, NOTES) in actions
    assert plan.StopActor("N1", ACTOR, 1, NOTES) in actions


def test_an_actor_a_component_runs_as_written_is_not_moved_to_a_sibling_tag() -> None:
    app = _app("reg.io/acme/echo:1", "reg.io/acme/echo:2")
    actions = plan.plan(app, _view(ActorView(ACTOR, "reg.io/acme/echo:1", 1)))
    assert actions == [plan.StartActor("N1", "reg.io/acme/echo:2", 1, NOTES)]


def test_instances_of_other_workloads_are_never_updated() -> None:
    app = _app("reg.io/acme/echo:2")
    actions = plan.plan(app, _view(ActorView(OTHER, "reg.io/acme/echo:1", 0)))
    assert actions == [plan.StartActor("N1", "reg.io/acme/echo:2", 1, NOTES)]
