"""``lattice ctl link put|del``: links named the way people name actors and providers, acknowledged by the provider.

``put`` resolves the actor (key, call alias, name) and the provider (key, unique prefix, name, ``python:`` module)
as the lattice knows them and refuses what it does not know, or a provider of another contract, unless
``--force``; it then waits until a running provider reports that it took the link (or refused it, exit 1).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from lattice.cli import ctl_output, output
from lattice.cli.common import pairs
from lattice.cli.output import CliError
from lattice.control import ControlClient, LatticeEvent
from lattice.control.resolve import find_actor, find_provider
from lattice.control.waits import link_ack
from lattice.wire import LinkDefinition


def _done(args: argparse.Namespace, message: str, events: Sequence[LatticeEvent], **details: Any) -> int:
    ctl_output.accepted(message, args.json, details, events)
    return output.EXIT_OK


async def link_put(ctl: ControlClient, args: argparse.Namespace) -> int:
    actor_id = await find_actor(ctl, args.actor_id, force=args.force)
    provider = await find_provider(ctl, args.provider_id, force=args.force)
    if provider.contract_id and provider.contract_id != args.contract_id and not args.force:
        raise CliError(
            f"provider {provider.key} ({provider.name or '?'}) serves {provider.contract_id}, not {args.contract_id} "
            "(--force links it anyway)"
        )
    link = LinkDefinition(actor_id, provider.key, args.contract_id, args.link_name, pairs(args.values))
    if args.skip_wait:
        await ctl.put_link(link)
        return _done(args, f"stored the link of {actor_id} to {provider.key}", [], link=link.to_wire())
    state, events = await link_ack(ctl, link, args.wait)
    shown = state if state == "linked" else "stored (its provider does not run, or does not report links)"
    message = f"{shown}: {actor_id} to {provider.key} for {args.contract_id} ({args.link_name})"
    return _done(args, message, events, link=link.to_wire())


async def link_del(ctl: ControlClient, args: argparse.Namespace) -> int:
    await ctl.delete_link(args.actor_id, args.contract_id, args.link_name)
    message = f"removed the link of {args.actor_id} for {args.contract_id} ({args.link_name})"
    return _done(args, message, [], actor_id=args.actor_id, contract_id=args.contract_id, link_name=args.link_name)
