"""The page's actions: each checks its values as ``lattice ctl``/``lattice app`` do, then calls the control client.

An action gets the JSON object the page posted and returns the message to show; bad values raise
:class:`ActionInvalid` before anything is sent, and the control client's and apps' own errors (a refused command,
a host that vanished, a timeout) come back as they are.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from lattice import keys
from lattice.app import deploy
from lattice.control import ControlClient, NoHostsError
from lattice.dashboard.errors import ActionInvalid
from lattice.wire import DEFAULT_LINK_NAME, LinkDefinition

Body = Mapping[str, Any]
Action = Callable[[ControlClient, Body], Awaitable[str]]
MAX_TEXT_CHARS = 4096


def text(body: Body, key: str, *, required: bool = True, default: str = "") -> str:
    value = body.get(key, default)
    if value is None:
        value = default
    if not isinstance(value, str):
        raise ActionInvalid(f"{key} must be text")
    value = value.strip()
    if required and not value:
        raise ActionInvalid(f"{key} is required")
    if len(value) > MAX_TEXT_CHARS:
        raise ActionInvalid(f"{key} is longer than {MAX_TEXT_CHARS} characters")
    return value


def count(body: Body, key: str, minimum: int, default: int | None = None) -> int:
    value = body.get(key, default)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise ActionInvalid(f"{key} must be a whole number")
    if value < minimum:
        raise ActionInvalid(f"{key} must be {'at least 1' if minimum == 1 else '0 or more'}")
    return value


def string_map(body: Body, key: str) -> dict[str, str]:
    value = body.get(key) or {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ActionInvalid(f"{key} must be an object of text values")
    if any(not k.strip() for k in value):
        raise ActionInvalid(f"{key} has an empty key")
    return {k.strip(): v for k, v in value.items()}


async def host_id(ctl: ControlClient, given: str) -> str:
    """A host key as is, else the host whose unique id prefix or friendly name it is (as the CLI resolves HOST)."""
    return given if keys.is_public_key(given, keys.KeyType.SERVER) else (await ctl.find_host(given)).id


async def placed(ctl: ControlClient, body: Body, ref: str, auction: Callable[[], Awaitable[list[Any]]]) -> str:
    given = text(body, "host", required=False)
    if given:
        return await host_id(ctl, given)
    acks = await auction()
    if not acks:
        raise NoHostsError(f"no host on lattice {ctl.lattice!r} can take {ref}: see the hosts' labels")
    return str(acks[0].host_id)


async def start_actor(ctl: ControlClient, body: Body) -> str:
    ref, n = text(body, "actor_ref"), count(body, "count", 1, 1)
    host = await placed(ctl, body, ref, lambda: ctl.auction_actor(ref))
    await ctl.start_actor(host, ref, n)
    return f"accepted: starting {n} instance(s) of {ref} on host {host}"


async def scale_actor(ctl: ControlClient, body: Body) -> str:
    ref, n = text(body, "actor_ref"), count(body, "count", 0)
    host = await host_id(ctl, text(body, "host"))
    await ctl.scale_actor(host, ref, n, actor_id=text(body, "actor_id", required=False))
    return f"accepted: scaling {ref} to {n} instance(s) on host {host}"


async def stop_actor(ctl: ControlClient, body: Body) -> str:
    actor, n = text(body, "actor_id"), count(body, "count", 0, 0)
    host = await host_id(ctl, text(body, "host"))
    await ctl.stop_actor(host, actor, n)
    return f"accepted: stopping {'all instances' if n == 0 else f'{n} instance(s)'} of {actor} on host {host}"


async def start_provider(ctl: ControlClient, body: Body) -> str:
    ref, link_name = text(body, "provider_ref"), text(body, "link_name", default=DEFAULT_LINK_NAME)
    config = text(body, "config", required=False) or None
    if config is not None:
        try:
            json.loads(config)
        except ValueError as exc:
            raise ActionInvalid(f"config is not valid JSON: {exc}") from exc
    host = await placed(ctl, body, ref, lambda: ctl.auction_provider(ref, link_name))
    await ctl.start_provider(host, ref, link_name, config)
    return f"accepted: starting provider {ref} (link name {link_name}) on host {host}"


async def stop_provider(ctl: ControlClient, body: Body) -> str:
    provider, link_name = text(body, "provider_id"), text(body, "link_name", default=DEFAULT_LINK_NAME)
    host = await host_id(ctl, text(body, "host"))
    contract = text(body, "contract_id", required=False) or await ctl.provider_contract(host, provider, link_name)
    await ctl.stop_provider(host, provider, link_name, contract)
    return f"accepted: stopping provider {provider} (link name {link_name}) on host {host}"


async def put_link(ctl: ControlClient, body: Body) -> str:
    actor, provider, contract = text(body, "actor_id"), text(body, "provider_id"), text(body, "contract_id")
    link_name = text(body, "link_name", default=DEFAULT_LINK_NAME)
    await ctl.put_link(LinkDefinition(actor, provider, contract, link_name, string_map(body, "values")))
    return f"linked {actor} to {provider} for {contract} ({link_name})"


async def delete_link(ctl: ControlClient, body: Body) -> str:
    actor, contract = text(body, "actor_id"), text(body, "contract_id")
    link_name = text(body, "link_name", default=DEFAULT_LINK_NAME)
    await ctl.delete_link(actor, contract, link_name)
    return f"removed the link of {actor} for {contract} ({link_name})"


async def deploy_app(ctl: ControlClient, body: Body) -> str:
    done = await deploy.deploy(ctl, Path(text(body, "path")))
    return f"stored application {done.app.name!r} (revision {done.revision}); hosts reconcile the lattice to it"


async def undeploy_app(ctl: ControlClient, body: Body) -> str:
    done = await deploy.undeploy(ctl, text(body, "name"))
    problems = f"; {len(done.errors)} step(s) failed: {'; '.join(done.errors)}" if done.errors else ""
    return f"undeployed {done.name!r}: {done.actions} action(s){problems}"


ACTIONS: dict[str, Action] = {
    "start_actor": start_actor,
    "scale_actor": scale_actor,
    "stop_actor": stop_actor,
    "start_provider": start_provider,
    "stop_provider": stop_provider,
    "put_link": put_link,
    "delete_link": delete_link,
    "deploy_app": deploy_app,
    "undeploy_app": undeploy_app,
}
