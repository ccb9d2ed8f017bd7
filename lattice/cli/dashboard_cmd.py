"""``lattice dashboard``: serve a web page of the lattice (hosts, actors, providers, links, apps, claims, live
events, invocation rates) with actions through the control interface."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import secrets
import signal

from lattice.cli import output
from lattice.cli.common import connection_flags, run, settings
from lattice.cli.output import CliError
from lattice.control import ControlClient
from lattice.dashboard.server import Dashboard
from lattice.natsconn import DEFAULT_MAX_RECONNECT_ATTEMPTS
from lattice.observe.errors import ListenAddressError, ListenError
from lattice.observe.listen import parse_listen_address

DEFAULT_ADDR = "127.0.0.1:3030"
TOKEN_ENV = "WASMLATTICE_DASHBOARD_TOKEN"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "dashboard", help="serve a web page of the lattice, with actions", parents=[connection_flags()]
    )
    parser.add_argument(
        "--addr",
        default=DEFAULT_ADDR,
        metavar="HOST:PORT",
        help=f"where to listen (default {DEFAULT_ADDR}; port 0 picks a free one). Beyond loopback a token is "
        "required: one is made and printed unless --token or $" + TOKEN_ENV + " gives it",
    )
    parser.add_argument("--token", help=f"token the page must present (default: ${TOKEN_ENV}); prefer the variable")
    parser.set_defaults(func=cmd_dashboard)


def cmd_dashboard(args: argparse.Namespace) -> int:
    try:
        address = parse_listen_address(args.addr, "--addr")
    except ListenAddressError as exc:
        raise CliError(str(exc), output.EXIT_USAGE) from exc
    token = args.token or os.environ.get(TOKEN_ENV) or None
    if token is None and not address.is_loopback:
        token = secrets.token_urlsafe(24)
    config = settings(args)
    nats = dataclasses.replace(
        config.nats, max_reconnect_attempts=DEFAULT_MAX_RECONNECT_ATTEMPTS, name="lattice dashboard"
    )

    async def main() -> int:
        async with ControlClient(nats, config.lattice, prefix=config.ctl_prefix, timeouts=config.timeouts) as ctl:
            dashboard = Dashboard(ctl, address, token)
            try:
                await dashboard.start()
            except ListenError as exc:
                raise CliError(str(exc), output.EXIT_FAILURE) from exc
            if args.json:
                print(json.dumps({"url": dashboard.url, "lattice": ctl.lattice, "nats": ctl.url}), flush=True)
            else:
                print(f"dashboard of lattice {ctl.lattice!r} ({ctl.url}): {dashboard.url}", flush=True)
            output.progress("Ctrl-C to stop")
            try:
                await _until_stopped()
            finally:
                await dashboard.stop()
        return output.EXIT_OK

    return run(main())


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
