"""Carrying out planned actions and waiting for their outcomes in the event stream.

Commands are acked before the work is done, so a pass that only sent them could not tell a start in flight from
one still missing and would start it again. Instead a pass subscribes to the lattice's events *before* it acts,
sends every command, and waits (bounded) until each one's outcome is reported: started, stopped, updated, or
failed with the host's reason. Failures are kept per component for ``app status``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from lattice.app import plan
from lattice.app.facts import Facts
from lattice.app.manifest import Application
from lattice.control import ControlClient
from lattice.control import waits as w
from lattice.control.errors import ControlError
from lattice.control.events import EventWatcher, LatticeEvent
from lattice.refs import canonical_ref

DEFAULT_OUTCOME_TIMEOUT_S = 30.0


async def act(ctl: ControlClient, action: plan.Action) -> None:
    match action:
        case plan.StartActor(host_id, image, count, notes):
            await ctl.start_actor(host_id, image, count, notes)
        case plan.StopActor(host_id, actor_id, count, notes):
            await ctl.stop_actor(host_id, actor_id, count, notes)
        case plan.UpdateActor(host_id, actor_id, image, notes):
            await ctl.update_actor(host_id, actor_id, image, notes)
        case plan.StartProvider(host_id, image, link_name, config, notes):
            await ctl.start_provider(host_id, image, link_name, config, notes)
        case plan.StopProvider(host_id, provider_id, link_name, contract_id):
            await ctl.stop_provider(host_id, provider_id, link_name, contract_id)
        case plan.PutLink(link):
            await ctl.put_link(link)
        case plan.DeleteLink(actor_id, contract_id, link_name):
            await ctl.delete_link(actor_id, contract_id, link_name)


def describe(action: plan.Action) -> str:
    where = getattr(action, "host_id", "")
    return f"{type(action).__name__}" + (f" on {where[:12]}…" if where else "")


async def apply(ctl: ControlClient, actions: Sequence[plan.Action]) -> list[tuple[plan.Action, str]]:
    """Send every command (concurrently, links first); returns the refused ones with the reason."""
    links = [a for a in actions if isinstance(a, plan.PutLink | plan.DeleteLink)]
    rest = [a for a in actions if not isinstance(a, plan.PutLink | plan.DeleteLink)]
    refused: list[tuple[plan.Action, str]] = []
    for batch in (links, rest):
        results = await asyncio.gather(*(act(ctl, a) for a in batch), return_exceptions=True)
        for action, result in zip(batch, results, strict=True):
            if isinstance(result, ControlError):
                refused.append((action, str(result)))
            elif isinstance(result, BaseException):
                raise result
    return refused


def component_of(app: Application, action: plan.Action, facts: Facts | None) -> str | None:
    """The component an action is for (to file its failure under), if any."""
    image = getattr(action, "image_ref", None)
    if image is None:
        return None
    link_name = getattr(action, "link_name", None)
    for comp in app.components:
        if canonical_ref(comp.image) == canonical_ref(image) and (link_name is None or link_name == comp.link_name):
            return comp.name
    return None


def expectation(app: Application, action: plan.Action, facts: Facts | None) -> w.Expectation | None:
    """The events that report an action's outcome (None for links: their ack is their outcome)."""
    name = component_of(app, action, facts)
    key = (facts or {})[name].key if name and name in (facts or {}) else ""
    match action:
        case plan.StartActor(host_id, image, count, _):
            return w.actor_start(image, host_id, count, key)
        case plan.StopActor(host_id, actor_id, _, _):
            return w.actor_stop(actor_id, host_id)
        case plan.UpdateActor(host_id, actor_id, _, _):
            return w.actor_update(actor_id, host_id)
        case plan.StartProvider(host_id, image, link_name, _, _):
            return w.provider_start(image, link_name, host_id, key)
        case plan.StopProvider(host_id, provider_id, link_name, _):
            return w.provider_stop(provider_id, link_name, host_id)
    return None


@dataclass
class PassResult:
    """What one pass did and what failed, by component name."""

    actions: list[plan.Action] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # failures not tied to a component (stops, links)


async def carry_out(
    ctl: ControlClient,
    app: Application,
    actions: Sequence[plan.Action],
    facts: Facts | None,
    timeout_s: float = DEFAULT_OUTCOME_TIMEOUT_S,
) -> PassResult:
    """Subscribe, send every command, wait for every outcome; never raises for a refused or failed command."""
    result = PassResult(list(actions))

    def fail(action: plan.Action, reason: str) -> None:
        name = component_of(app, action, facts)
        if name is None or isinstance(action, plan.StopActor | plan.StopProvider):
            result.errors.append(f"{describe(action)}: {reason}")
        else:
            result.failures[name] = reason

    async with EventWatcher(ctl.nc, ctl.lattice) as events:
        refused = await apply(ctl, actions)
        for action, reason in refused:
            fail(action, reason)
        waiting = [
            (a, exp)
            for a in actions
            if all(a is not r for r, _ in refused) and (exp := expectation(app, a, facts)) is not None
        ]
        outcomes = await w.expect_all(events, [exp for _, exp in waiting], timeout_s)
    for (action, _), outcome in zip(waiting, outcomes, strict=True):
        if outcome.error is not None:
            fail(action, outcome.error)
    return result


def progress_line(event: LatticeEvent) -> str:
    data = event.data
    what = data.get("image_ref") or data.get("public_key") or data.get("actor_ref") or data.get("provider_ref") or ""
    return f"{event.name} {what}".strip()
