"""``lattice app``: deploy, undeploy, list and inspect applications described by manifests."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from lattice.app import sources
from lattice.app.deploy import current_status, deploy, stored_app, undeploy, wait_ready
from lattice.app.errors import AppError, AppNotDeployed, ManifestInvalid
from lattice.app.manifest import Application
from lattice.app.reconcile import application
from lattice.app.status import AppStatus
from lattice.app.store import AppStore
from lattice.cli import output
from lattice.cli.common import DEFAULT_WAIT_S, connection_flags, positive_float, with_client
from lattice.cli.output import CliError
from lattice.control import ControlClient


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parent = connection_flags()
    parser = sub.add_parser("app", help="deploy and inspect applications (wadm-style manifests)")
    cmds = parser.add_subparsers(dest="app_cmd", required=True, metavar="COMMAND")
    deploy_cmd = cmds.add_parser("deploy", parents=[parent], help="deploy a manifest; hosts keep the lattice at it")
    deploy_cmd.add_argument("manifest", type=Path, help="application manifest (YAML)")
    deploy_cmd.add_argument("--no-wait", action="store_true", help="return once stored, without waiting for it to run")
    deploy_cmd.add_argument("--wait-timeout", type=positive_float, default=DEFAULT_WAIT_S, help="seconds to wait")
    deploy_cmd.add_argument(
        "--force-update",
        action="store_true",
        help="replace running instances of a module that changed without a higher rev (stop, then start)",
    )
    deploy_cmd.set_defaults(func=with_client(_deploy))
    undeploy = cmds.add_parser("undeploy", parents=[parent], help="stop an application and remove its links")
    undeploy.add_argument("name")
    undeploy.set_defaults(func=with_client(_undeploy))
    listing = cmds.add_parser("list", parents=[parent], help="deployed applications")
    listing.set_defaults(func=with_client(_list))
    stat = cmds.add_parser("status", parents=[parent], help="what runs versus what the manifest wants")
    stat.add_argument("name")
    stat.set_defaults(func=with_client(_status))


async def _deploy(ctl: ControlClient, args: argparse.Namespace) -> int:
    store = AppStore(ctl.nc, ctl.lattice)
    hosts = await ctl.ping_hosts()
    try:
        done = await deploy(
            ctl, store, args.manifest, hosts=hosts, force_update=args.force_update, progress=output.progress
        )
    except ManifestInvalid as exc:
        raise CliError(str(exc), output.EXIT_USAGE) from exc
    except AppError as exc:
        raise CliError(str(exc), output.EXIT_FAILURE) from exc
    app = done.app
    version = f", version {app.version}" if app.version else ""
    output.progress(f"deployed {app.name!r} (deployment {done.deployment}{version}); the hosts reconcile to it")
    state = None if args.no_wait else await wait_ready(ctl, store, app, args.wait_timeout, output.progress)
    found = await _sources(ctl, app, state) if state is not None else {}
    if args.json:
        body = {"name": app.name, "version": app.version, "deployment": done.deployment}
        output.emit_json(body | {"status": status_json(state, found) if state else None})
    elif state is not None:
        print_status(state, found)
    return _exit(state, args.wait_timeout, app.name)


def _exit(state: AppStatus | None, timeout_s: float, name: str) -> int:
    if state is None or state.ready:
        return output.EXIT_OK
    if state.failed:
        for problem in state.problems():
            output.progress(f"error: {problem}")
        return output.EXIT_FAILURE
    output.progress(f"not ready after {timeout_s:g}s; `lattice app status {name}` shows what is missing")
    return output.EXIT_TIMEOUT


async def _undeploy(ctl: ControlClient, args: argparse.Namespace) -> int:
    try:
        done = await undeploy(ctl, AppStore(ctl.nc, ctl.lattice), args.name)
    except AppNotDeployed as exc:
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
    store = AppStore(ctl.nc, ctl.lattice)
    for stored in await store.list():
        try:
            app = application(stored)
            state = await current_status(ctl, store, app)
            rows.append(
                {
                    "name": app.name,
                    "version": app.version,
                    "deployment": stored.deployment,
                    "ready": state.ready,
                    "failed": state.failed,
                    "status": state.word,
                    "components": len(app.components),
                }
            )
        except AppError as exc:
            row = {"name": stored.name, "version": "", "ready": False, "failed": True, "status": "failed"}
            rows.append(row | {"error": str(exc)})
    if args.json:
        output.emit_json(rows)
    else:
        output.table(
            ["NAME", "VERSION", "DEPLOYMENT", "COMPONENTS", "STATUS"],
            [[r["name"], r["version"], r.get("deployment", "-"), r.get("components", "-"), r["status"]] for r in rows],
        )
    return output.EXIT_OK


async def _status(ctl: ControlClient, args: argparse.Namespace) -> int:
    store = AppStore(ctl.nc, ctl.lattice)
    try:
        app, _ = await stored_app(ctl, store, args.name)
    except AppNotDeployed as exc:
        raise CliError(str(exc)) from exc
    state = await current_status(ctl, store, app)
    found = await _sources(ctl, app, state)
    if args.json:
        output.emit_json(status_json(state, found))
    else:
        print_status(state, found)
    return output.EXIT_OK if state.ready else output.EXIT_FAILURE


Sources = dict[str, tuple[sources.HostSource, ...]]


async def _sources(ctl: ControlClient, app: Application, state: AppStatus) -> Sources:
    """Where each component's bytes came from, on the hosts that run it."""
    return await sources.component_sources(ctl, app, (h for c in state.components for h in c.hosts))


def status_json(state: AppStatus, found: Sources | None = None) -> dict[str, Any]:
    return {
        "name": state.name,
        "deployment": state.deployment,
        "ready": state.ready,
        "failed": state.failed,
        "components": [
            {
                "name": c.name,
                "type": c.type,
                "image": c.image,
                "wanted": c.wanted,
                "running": c.running,
                "hosts": list(c.hosts),
                "error": c.error or None,
                "sources": [s.to_json() for s in (found or {}).get(c.name, ())],
            }
            for c in state.components
        ],
        "links": {
            "wanted": state.links_wanted,
            "present": state.links_present,
            "each": [
                {
                    "source": x.source,
                    "target": x.target,
                    "contract_id": x.contract,
                    "values": dict(x.values),
                    "state": x.state,
                    "error": x.error or None,
                }
                for x in state.links
            ],
        },
        "pending": list(state.pending),
        "problems": state.problems(),
    }


def print_status(state: AppStatus, found: Sources | None = None) -> None:
    output.table(
        ["COMPONENT", "TYPE", "WANTED", "RUNNING", "HOSTS", "SOURCE", "ERROR"],
        [
            [
                c.name,
                c.type,
                c.wanted,
                c.running,
                ", ".join(h[:12] for h in c.hosts) or "-",
                sources.describe((found or {}).get(c.name, ())),
                c.error or "",
            ]
            for c in state.components
        ],
    )
    if state.links:
        print()
        output.table(
            ["LINK", "STATE", "DETAIL"],
            [[x.label, x.state, x.error if x.state != "linked" else ""] for x in state.links],
        )
    print(f"\nlinks: {state.links_present}/{state.links_wanted}   status: {state.word}")
