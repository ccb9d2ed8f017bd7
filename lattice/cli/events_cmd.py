"""``lattice events``: tail a lattice's lifecycle events (``wasmbus.evt.{lattice}``), with ``--rpc`` also its
invocation events (``wasmbus.rpcevt.{lattice}``)."""

from __future__ import annotations

import argparse
import asyncio
import json

from lattice import subjects
from lattice.cli import ctl_output, output
from lattice.cli.common import connection_flags, positive_float, with_client
from lattice.cli.output import CliError
from lattice.control import ControlClient, ControlTimeout, LatticeEvent


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "events", help="print a lattice's lifecycle events as they happen", parents=[connection_flags()]
    )
    parser.add_argument(
        "--filter",
        action="append",
        metavar="TYPE",
        help="only events of this type, e.g. actor_started (repeat; the com.wasmcloud.lattice. prefix is optional)",
    )
    parser.add_argument(
        "--rpc",
        action="store_true",
        help="also invocation events (invocation_counts, or invocation_succeeded/failed when hosts publish each)",
    )
    parser.add_argument("--count", type=int, help="stop after this many events")
    parser.add_argument("--for", dest="duration", type=positive_float, metavar="SECONDS", help="stop after SECONDS")
    parser.set_defaults(func=with_client(cmd_events))


def _names(filters: list[str] | None) -> frozenset[str]:
    return frozenset(f.strip().removeprefix(subjects.EVENT_TYPE_PREFIX) for f in filters or [] if f.strip())


def _show(event: LatticeEvent, as_json: bool) -> None:
    if as_json:
        print(json.dumps(event.to_json(), separators=(",", ":")), flush=True)
    else:
        print(ctl_output.event_line(event), flush=True)


async def cmd_events(ctl: ControlClient, args: argparse.Namespace) -> int:
    if args.count is not None and args.count < 1:
        raise CliError("--count must be at least 1", output.EXIT_USAGE)
    names = _names(args.filter)
    loop = asyncio.get_running_loop()
    deadline = None if args.duration is None else loop.time() + args.duration
    seen = 0
    async with ctl.watch_events(rpc=args.rpc) as events:
        output.progress(f"listening for events on lattice {ctl.lattice!r} at {ctl.url} (Ctrl-C to stop)")
        while args.count is None or seen < args.count:
            left = None if deadline is None else deadline - loop.time()
            try:
                event = await events.next(timeout_s=left)
            except ControlTimeout:
                break
            if names and event.name not in names:
                continue
            _show(event, args.json)
            seen += 1
    if args.count is not None and seen < args.count:
        raise CliError(f"saw {seen} of {args.count} events within {args.duration:g}s", output.EXIT_TIMEOUT)
    return output.EXIT_OK
