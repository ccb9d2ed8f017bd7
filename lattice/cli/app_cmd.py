"""``lattice app``: deploy, undeploy, list and inspect applications described by manifests."""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from typing import Any

from lattice.app import deploy, manifest, reconcile
from lattice.app.errors import AppError, Unsatisfiable
from lattice.app.store import AppStore
from lattice.cli import output
from lattice.cli.common import DEFAULT_WAIT_S, connection_flags, positive_float, with_client
from lattice.cli.output import CliError
from lattice.control import ControlClient

POLL_S = 0.5


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parent = connection_flags()
    parser = sub.add_parser("app", help="deploy and inspect applications (wadm-style manifests)")
    cmds = parser.add_subparsers(dest="app_cmd", required=True, metavar="COMMAND")
    deploy = cmds.add_parser("deploy", parents=[parent], help="deploy a manifest; hosts keep the lattice at it")
    deploy.add_argument("manifest", type=Path, help="application manifest (YAML)")
    deploy.add_argument("--no-wait", action="store_true", help="return once stored, without waiting for it to run")
    deploy.add_argument("--wait-timeout", type=positive_float, default=DEFAULT_WAIT_S, help="seconds to wait")
    deploy.set_defaults(func=with_client(_deploy))
    undeploy = cmds.add_parser("undeploy", parents=[parent], help="stop an application and remove its links")
    undeploy.add_argument("name")
    undeploy.set_defaults(func=with_client(_undeploy))
    listing = cmds.add_parser("list", parents=[parent], help="deployed applications")
    listing.set_defaults(func=with_client(_list))
    stat = cmds.add_parser("status", parents=[parent], help="what runs versus what the manifest wants")
    stat.add_argument("name")
    stat.set_defaults(func=with_client(_status))


async def _deploy(ctl: ControlClient, args: argparse.Namespace) -> int:
    try:
        deployed = await deploy.deploy(ctl, args.manifest)
    except Unsatisfiable as exc:
        raise CliError(str(exc), output.EXIT_FAILURE) from exc
    except AppError as exc:
        raise CliError(str(exc), output.EXIT_USAGE) from exc
    app, revision = deployed.app, deployed.revision
    output.progress(f"stored application {app.name!r} (revision {revision}); hosts reconcile the lattice to it")
    state = await _wait_ready(ctl, app, args.wait_timeout) if not args.no_wait else None
    if args.json:
        output.emit_json({"name": app.name, "revision": revision, "status": _status_json(state) if state else None})
    elif state is not None:
        _print_status(state)
    return output.EXIT_OK if state is None or state.ready else output.EXIT_TIMEOUT


async def _wait_ready(ctl: ControlClient, app: manifest.Application, timeout_s: float) -> reconcile.AppStatus:
    deadline = time.monotonic() + timeout_s
    last = ""
    while True:
        state = reconcile.status(app, await reconcile.observe(ctl, app.name))
        summary = ", ".join(f"{c.name} {c.running}/{c.wanted}" for c in state.components)
        summary += f", links {state.links_present}/{state.links_wanted}"
        if summary != last:
            output.progress(f"  {summary}")
            last = summary
        if state.ready or time.monotonic() > deadline:
            if not state.ready:
                output.progress(
                    f"not ready after {timeout_s:g}s; `lattice app status {app.name}` shows what is missing"
                )
            return state
        await asyncio.sleep(POLL_S)


async def _stored_app(ctl: ControlClient, name: str) -> manifest.Application:
    try:
        return await deploy.stored_app(ctl, name)
    except deploy.AppNotDeployed as exc:
        raise CliError(str(exc)) from exc


async def _undeploy(ctl: ControlClient, args: argparse.Namespace) -> int:
    try:
        done = await deploy.undeploy(ctl, args.name)
    except deploy.AppNotDeployed as exc:
        raise CliError(str(exc)) from exc
    if args.json:
        output.emit_json({"name": done.name, "actions": done.actions, "errors": done.errors})
    else:
        print(f"undeployed {done.name!r}: {done.actions} action(s)")
        for error in done.errors:
            output.progress(f"  warning: {error}")
    return output.EXIT_FAILURE if done.errors else output.EXIT_OK


async def _list(ctl: ControlClient, args: argparse.Namespace) -> int:
    rows = []
    for stored in await AppStore(ctl.nc, ctl.lattice).list():
        try:
            app = reconcile.application(stored)
            state = reconcile.status(app, await reconcile.observe(ctl, app.name))
            rows.append(
                {"name": app.name, "version": app.version, "ready": state.ready, "components": len(app.components)}
            )
        except AppError as exc:
            rows.append({"name": stored.name, "version": "", "ready": False, "error": str(exc)})
    if args.json:
        output.emit_json(rows)
    else:
        output.table(
            ["NAME", "VERSION", "COMPONENTS", "STATUS"],
            [
                [r["name"], r["version"], r.get("components", "-"), "ready" if r["ready"] else "reconciling"]
                for r in rows
            ],
        )
    return output.EXIT_OK


async def _status(ctl: ControlClient, args: argparse.Namespace) -> int:
    app = await _stored_app(ctl, args.name)
    state = reconcile.status(app, await reconcile.observe(ctl, app.name))
    if args.json:
        output.emit_json(_status_json(state))
    else:
        _print_status(state)
    return output.EXIT_OK if state.ready else output.EXIT_FAILURE


def _status_json(state: reconcile.AppStatus) -> dict[str, Any]:
    return {
        "name": state.name,
        "ready": state.ready,
        "components": [
            {
                "name": c.name,
                "type": c.type,
                "image": c.image,
                "wanted": c.wanted,
                "running": c.running,
                "hosts": list(c.hosts),
            }
            for c in state.components
        ],
        "links": {"wanted": state.links_wanted, "present": state.links_present},
    }


def _print_status(state: reconcile.AppStatus) -> None:
    output.table(
        ["COMPONENT", "TYPE", "WANTED", "RUNNING", "HOSTS"],
        [[c.name, c.type, c.wanted, c.running, ", ".join(h[:12] for h in c.hosts) or "-"] for c in state.components],
    )
    print(f"links: {state.links_present}/{state.links_wanted}   status: {'ready' if state.ready else 'reconciling'}")
