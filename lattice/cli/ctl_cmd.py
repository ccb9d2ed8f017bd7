"""``lattice ctl``: query and steer a lattice over its control interface (thin: parse → client → print).

Commands whose work a host reports in events (start, stop, scale, update) wait for those events by default and
say what happened; ``--skip-wait`` returns once the host accepted the command (as wash does). Module refs are
normalised before they are sent (a path becomes an absolute ``file://`` URL), so the host, the events and the
inventory all spell them the same way.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeAlias

from lattice import keys
from lattice.cli import ctl_output, output
from lattice.cli.common import (
    DEFAULT_WAIT_S,
    Handler,
    connection_flags,
    key_value,
    pairs,
    positive_float,
    with_client,
)
from lattice.cli.ctl_links import link_del, link_put
from lattice.cli.ctl_registry import registry_put
from lattice.cli.output import CliError
from lattice.control import ControlClient, LatticeEvent, NoHostsError
from lattice.control import waits as w
from lattice.control.requests import ActorAuctionAck, ProviderAuctionAck
from lattice.oci.settings import PASSWORD_ENV
from lattice.refs import canonical_ref
from lattice.wire import DEFAULT_LINK_NAME

SubParsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class _Tree:
    """Builds the ``ctl`` command tree; every leaf takes the connection flags and runs with a control client."""

    def __init__(self, groups: SubParsers) -> None:
        self.groups = groups
        self.common = connection_flags()

    def group(self, name: str, help_text: str) -> SubParsers:
        parser = self.groups.add_parser(name, help=help_text)
        return parser.add_subparsers(dest=f"{name}_cmd", required=True, metavar="WHAT")

    def leaf(self, parent: SubParsers, name: str, help_text: str, handler: Handler) -> argparse.ArgumentParser:
        found = parent.add_parser(name, help=help_text, parents=[self.common])
        found.set_defaults(func=with_client(handler))
        return found


def register(sub: SubParsers) -> None:
    parser = sub.add_parser("ctl", help="query and steer a lattice: hosts, actors, providers, links, labels")
    tree = _Tree(parser.add_subparsers(dest="ctl_cmd", required=True, metavar="COMMAND"))
    for add in (_get, _start, _stop, _scale_update, _link, _label, _registry):
        add(tree)


def _get(tree: _Tree) -> None:
    get = tree.group("get", "list hosts, an inventory, claims or links")
    tree.leaf(get, "hosts", "every host that answers a ping", get_hosts)
    inventory = tree.leaf(get, "inventory", "what a host runs (every host without HOST)", get_inventory)
    inventory.add_argument("host", nargs="?", metavar="HOST", help="host id, unique prefix or friendly name")
    tree.leaf(get, "claims", "the claims of every actor and provider in the lattice", get_claims)
    tree.leaf(get, "links", "every link definition", get_links)


def _start(tree: _Tree) -> None:
    start = tree.group("start", "start an actor or a provider (on --host, or on a host chosen by auction)")
    actor = tree.leaf(start, "actor", "start instances of an actor", start_actor)
    actor.add_argument(
        "ref", help="registry ref (REGISTRY/REPO:TAG, lattice://REPO:TAG), file:// URL or path of a signed actor module"
    )
    actor.add_argument("--count", type=int, default=1, help="instances to start (default 1)")
    _placement(actor)
    provider = tree.leaf(start, "provider", "start a capability provider", start_provider)
    provider.add_argument(
        "ref", help="provider archive (REGISTRY/REPO:TAG, lattice://REPO:TAG, file:// URL or path) or python:<module>"
    )
    provider.add_argument("--link-name", default=DEFAULT_LINK_NAME)
    provider.add_argument("--config", help="configuration JSON handed to the provider (config_json)")
    _placement(provider)


def _stop(tree: _Tree) -> None:
    stop = tree.group("stop", "stop an actor, a provider or a host")
    actor = tree.leaf(stop, "actor", "stop instances of an actor on a host", stop_actor)
    _host_arg(actor).add_argument("actor_id", metavar="ACTOR", help="actor public key (M…) or its image ref")
    actor.add_argument("--count", type=int, default=0, help="instances to stop (default 0 = all)")
    _annotations(_wait(actor))
    provider = tree.leaf(stop, "provider", "stop a provider on a host", stop_provider)
    _host_arg(provider).add_argument("provider_id", metavar="PROVIDER", help="provider public key (V…)")
    provider.add_argument("--link-name", default=DEFAULT_LINK_NAME)
    provider.add_argument("--contract-id", help="contract id (default: looked up in the host's inventory)")
    _wait(provider)
    host = tree.leaf(stop, "host", "stop a host gracefully", stop_host)
    _host_arg(host).add_argument("--stop-timeout-ms", type=int, help="grace period the host is asked to respect")
    _wait(host)


def _scale_update(tree: _Tree) -> None:
    scale = tree.leaf(tree.group("scale", "scale an actor on a host"), "actor", "reach COUNT instances", scale_actor)
    _host_arg(scale).add_argument("ref", metavar="ACTOR_REF", help="the actor's image ref (or public key)")
    scale.add_argument("--count", type=int, required=True, help="instances wanted (0 stops the actor)")
    scale.add_argument("--actor-id", default="", help="actor public key (default: resolved by the host)")
    _annotations(_wait(scale))
    update = tree.leaf(tree.group("update", "live-update an actor"), "actor", "swap a running module", update_actor)
    _host_arg(update).add_argument("actor_id", metavar="ACTOR_ID", help="public key (M…) of the running actor")
    update.add_argument("new_ref", metavar="NEW_REF", help="the new module (same key, higher revision)")
    _annotations(_wait(update))


def _link(tree: _Tree) -> None:
    link = tree.group("link", "put, delete or list link definitions")
    put = tree.leaf(link, "put", "link an actor to a provider for a contract", link_put)
    put.add_argument("actor_id", metavar="ACTOR", help="actor key, call alias or name")
    put.add_argument("provider_id", metavar="PROVIDER", help="provider key, unique key prefix, name or python: module")
    put.add_argument("contract_id", metavar="CONTRACT")
    put.add_argument("values", nargs="*", type=key_value, metavar="KEY=VALUE", help="link values")
    put.add_argument("--link-name", default=DEFAULT_LINK_NAME)
    put.add_argument(
        "--force", action="store_true", help="link keys the lattice does not know yet, or another contract"
    )
    _wait(put)
    delete = tree.leaf(link, "del", "remove a link", link_del)
    delete.add_argument("actor_id", metavar="ACTOR")
    delete.add_argument("contract_id", metavar="CONTRACT")
    delete.add_argument("--link-name", default=DEFAULT_LINK_NAME)
    tree.leaf(link, "query", "list every link definition", get_links)


def _label(tree: _Tree) -> None:
    label = tree.group("label", "put or delete a host label")
    put = tree.leaf(label, "put", "set a label on a host", label_put)
    _host_arg(put).add_argument("label", type=key_value, metavar="KEY=VALUE")
    delete = tree.leaf(label, "del", "remove a label from a host", label_del)
    _host_arg(delete).add_argument("key", metavar="KEY")


def _registry(tree: _Tree) -> None:
    registry = tree.group("registry", "hand registry credentials to every host")
    put = tree.leaf(registry, "put", "send credentials for one registry to every host (registries.put)", registry_put)
    put.add_argument("server", metavar="REGISTRY", help="the registry as refs name it: host[:port]")
    put.add_argument("--user", help="user name")
    put.add_argument(
        "--password-stdin", action="store_true", help=f"read the password from stdin (default: ${PASSWORD_ENV})"
    )
    put.add_argument("--token", action="store_true", help="the secret is a Bearer token, not a password")


def _host_arg(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("host", metavar="HOST", help="host id (N…), a unique prefix of it, or its friendly name")
    return parser


def _wait(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "--wait",
        nargs="?",
        type=positive_float,
        default=DEFAULT_WAIT_S,
        const=DEFAULT_WAIT_S,
        metavar="SECONDS",
        help=f"how long to wait for the events that report the outcome (default {DEFAULT_WAIT_S:g}s)",
    )
    parser.add_argument("--skip-wait", action="store_true", help="return once the host accepted the command")
    return parser


def _annotations(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--annotation", action="append", type=key_value, metavar="KEY=VALUE")
    return parser


def _placement(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="host to start on (id, prefix or friendly name); default: auction")
    parser.add_argument("--constraint", action="append", type=key_value, metavar="KEY=VALUE", help="auction label")
    _annotations(_wait(parser))


# --- helpers ----------------------------------------------------------------------------------------------------------


async def _host_id(ctl: ControlClient, text: str) -> str:
    return text if keys.is_public_key(text, keys.KeyType.SERVER) else (await ctl.find_host(text)).id


Acks = Sequence[ActorAuctionAck] | Sequence[ProviderAuctionAck]


async def _placed(ctl: ControlClient, args: argparse.Namespace, auction: Callable[[], Awaitable[Acks]]) -> str:
    """``--host`` if given, else the first host that answers the auction."""
    if args.host:
        return await _host_id(ctl, args.host)
    constraints = pairs(args.constraint)
    shown = f" with constraints {json.dumps(constraints)}" if constraints else ""
    output.progress(f"auctioning {args.ref} on lattice {ctl.lattice!r}{shown}…")
    acks = await auction()
    if not acks:
        raise NoHostsError(
            f"no host on lattice {ctl.lattice!r} at {ctl.url} can take {args.ref}{shown}: see `lattice ctl get hosts` "
            "for their labels (and whether one already runs it), or start a host with `lattice up`"
        )
    return acks[0].host_id


async def _send(
    ctl: ControlClient, args: argparse.Namespace, expectation: w.Expectation, send: Callable[[], Awaitable[None]]
) -> list[LatticeEvent]:
    """Send a command; unless ``--skip-wait``, subscribe to events first and wait for the outcome (progress lines)."""
    if args.skip_wait:
        await send()
        return []
    async with ctl.watch_events() as events:
        await send()
        output.progress(f"accepted; waiting up to {args.wait:g}s for {expectation.what}…")
        return await w.expect(events, expectation, args.wait, lambda e: output.progress(ctl_output.event_line(e)))


def _done(args: argparse.Namespace, message: str, events: Sequence[LatticeEvent], **details: Any) -> int:
    ctl_output.accepted(message, args.json, details, events)
    return output.EXIT_OK


# --- queries ----------------------------------------------------------------------------------------------------------


async def get_hosts(ctl: ControlClient, args: argparse.Namespace) -> int:
    found = await ctl.ping_hosts()
    if not found:
        raise ctl.no_hosts()
    ctl_output.hosts(found, args.json)
    return output.EXIT_OK


async def get_inventory(ctl: ControlClient, args: argparse.Namespace) -> int:
    """One host's inventory, or every host's plus the providers run by hand (they answer the providers ping)."""
    if args.host:
        host = await _host_id(ctl, args.host)
        ctl_output.inventories([await ctl.get_inventory(host)], args.json, one=True)
        return output.EXIT_OK
    hosts, reports = await asyncio.gather(ctl.ping_hosts(), ctl.ping_providers())
    manual = [r for r in reports if r.manual]
    if not hosts and not manual:
        raise ctl.no_hosts()
    ctl_output.inventories([await ctl.get_inventory(h.id) for h in hosts], args.json, manual=manual)
    return output.EXIT_OK


async def get_claims(ctl: ControlClient, args: argparse.Namespace) -> int:
    ctl_output.claims(await ctl.get_claims(), args.json)
    return output.EXIT_OK


async def get_links(ctl: ControlClient, args: argparse.Namespace) -> int:
    ctl_output.links(await ctl.get_links(), args.json)
    return output.EXIT_OK


# --- commands ---------------------------------------------------------------------------------------------------------


async def start_actor(ctl: ControlClient, args: argparse.Namespace) -> int:
    if args.count < 1:
        raise CliError("--count must be at least 1", output.EXIT_USAGE)
    args.ref = canonical_ref(args.ref)
    host = await _placed(ctl, args, lambda: ctl.auction_actor(args.ref, pairs(args.constraint)))
    annotations = pairs(args.annotation)
    events = await _send(
        ctl,
        args,
        w.actor_start(args.ref, host, args.count),
        lambda: ctl.start_actor(host, args.ref, args.count, annotations),
    )
    verb = "started" if events else "accepted: starting"
    message = f"{verb} {args.count} instance(s) of {args.ref} on host {host}"
    return _done(args, message, events, host_id=host, actor_ref=args.ref, count=args.count)


async def start_provider(ctl: ControlClient, args: argparse.Namespace) -> int:
    if args.config is not None:
        try:
            json.loads(args.config)
        except ValueError as exc:
            raise CliError(f"--config is not valid JSON: {exc}", output.EXIT_USAGE) from exc
    args.ref = canonical_ref(args.ref)
    constraints = pairs(args.constraint)
    host = await _placed(ctl, args, lambda: ctl.auction_provider(args.ref, args.link_name, constraints))
    events = await _send(
        ctl,
        args,
        w.provider_start(args.ref, args.link_name, host),
        lambda: ctl.start_provider(host, args.ref, args.link_name, args.config, pairs(args.annotation)),
    )
    verb = "started" if events else "accepted: starting"
    message = f"{verb} provider {args.ref} (link name {args.link_name}) on host {host}"
    return _done(args, message, events, host_id=host, provider_ref=args.ref, link_name=args.link_name)


async def _running_actor(ctl: ControlClient, host: str, actor: str) -> str:
    """``actor`` when it is a key, else the key of the actor the host runs from that image ref."""
    if keys.is_public_key(actor, keys.KeyType.MODULE):
        return actor
    ref = canonical_ref(actor)
    found = [a.id for a in (await ctl.get_inventory(host)).actors if canonical_ref(a.image_ref) == ref]
    if not found:
        raise CliError(f"host {host} runs no actor from {actor!r} (see `lattice ctl get inventory {host}`)")
    return found[0]


async def stop_actor(ctl: ControlClient, args: argparse.Namespace) -> int:
    host = await _host_id(ctl, args.host)
    args.actor_id = await _running_actor(ctl, host, args.actor_id)
    events = await _send(
        ctl,
        args,
        w.actor_stop(args.actor_id, host),
        lambda: ctl.stop_actor(host, args.actor_id, args.count, pairs(args.annotation)),
    )
    how_many = "all instances" if args.count == 0 else f"{args.count} instance(s)"
    verb = "stopped" if events else "accepted: stopping"
    return _done(args, f"{verb} {how_many} of {args.actor_id} on host {host}", events, host_id=host)


async def stop_provider(ctl: ControlClient, args: argparse.Namespace) -> int:
    host = await _host_id(ctl, args.host)
    contract = args.contract_id or await ctl.provider_contract(host, args.provider_id, args.link_name)
    events = await _send(
        ctl,
        args,
        w.provider_stop(args.provider_id, args.link_name, host),
        lambda: ctl.stop_provider(host, args.provider_id, args.link_name, contract),
    )
    verb = "stopped" if events else "accepted: stopping"
    message = f"{verb} provider {args.provider_id} (link name {args.link_name}) on host {host}"
    return _done(args, message, events, host_id=host, provider_id=args.provider_id, link_name=args.link_name)


async def stop_host(ctl: ControlClient, args: argparse.Namespace) -> int:
    host = await _host_id(ctl, args.host)
    events = await _send(ctl, args, w.host_stop(host), lambda: ctl.stop_host(host, args.stop_timeout_ms))
    verb = "stopped" if events else "accepted: stopping"
    return _done(args, f"{verb} host {host}", events, host_id=host)


async def scale_actor(ctl: ControlClient, args: argparse.Namespace) -> int:
    if args.count < 0:
        raise CliError("--count must be 0 or more", output.EXIT_USAGE)
    ref = canonical_ref(args.ref)
    host = await _host_id(ctl, args.host)
    actor_id, have = await _running(ctl, host, ref, args.actor_id)
    if args.count > have:
        expectation = w.actor_start(ref, host, args.count - have, actor_id)
    else:
        expectation = w.actor_stop(actor_id or ref, host)
    annotations = pairs(args.annotation)

    async def send() -> None:
        await ctl.scale_actor(host, ref, args.count, actor_id=args.actor_id, annotations=annotations)

    if args.count == have:  # nothing to report: the host has what is asked
        await send()
        events: list[LatticeEvent] = []
    else:
        events = await _send(ctl, args, expectation, send)
    verb = "accepted: scaling" if args.skip_wait else "scaled"
    message = f"{verb} {ref} to {args.count} instance(s) on host {host}"
    return _done(args, message, events, host_id=host, actor_ref=ref, count=args.count)


async def _running(ctl: ControlClient, host: str, ref: str, actor_id: str) -> tuple[str, int]:
    """The key and instance count of the actor a host runs from ``ref`` (or with key ``actor_id``)."""
    for found in (await ctl.get_inventory(host)).actors:
        if found.id == actor_id or found.id == ref or canonical_ref(found.image_ref) == ref:
            return found.id, len(found.instances)
    return actor_id, 0


async def update_actor(ctl: ControlClient, args: argparse.Namespace) -> int:
    args.new_ref = canonical_ref(args.new_ref)
    host = await _host_id(ctl, args.host)
    events = await _send(
        ctl,
        args,
        w.actor_update(args.actor_id, host),
        lambda: ctl.update_actor(host, args.actor_id, args.new_ref, pairs(args.annotation)),
    )
    verb = "updated" if events else "accepted: updating"
    return _done(args, f"{verb} {args.actor_id} to {args.new_ref} on host {host}", events, host_id=host)


async def label_put(ctl: ControlClient, args: argparse.Namespace) -> int:
    host = await _host_id(ctl, args.host)
    key, value = args.label
    await ctl.put_label(host, key, value)
    return _done(args, f"set label {key}={value} on host {host}", [], host_id=host, key=key, value=value)


async def label_del(ctl: ControlClient, args: argparse.Namespace) -> int:
    host = await _host_id(ctl, args.host)
    await ctl.delete_label(host, args.key)
    return _done(args, f"removed label {args.key} from host {host}", [], host_id=host, key=args.key)
