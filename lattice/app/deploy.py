"""Deploying and undeploying an application: the checks and steps ``lattice app`` and the dashboard share.

``deploy`` validates the manifest and checks that every spread has a host before storing anything; the hosts'
reconciler then brings the lattice to it. ``undeploy`` removes the manifest, then stops what the app runs and
deletes its links, returning the errors of the steps that failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lattice.app import manifest, plan, reconcile
from lattice.app.errors import AppError
from lattice.app.store import AppStore
from lattice.control import ControlClient


class AppNotDeployed(AppError):
    """No application of that name is deployed on the lattice."""


@dataclass(frozen=True)
class Deployed:
    app: manifest.Application
    revision: int


async def deploy(ctl: ControlClient, path: Path) -> Deployed:
    """Validate ``path``, check the lattice can run it, store it; :class:`AppError` before any change."""
    document, base_dir = manifest.read_document(path)
    try:
        app = manifest.parse(document, base_dir)
    except AppError as exc:
        raise type(exc)(f"{path}: {exc}") from exc
    view = await reconcile.observe(ctl, app.name)
    if not view.hosts:
        raise ctl.no_hosts()
    try:
        plan.check_satisfiable(app, view.hosts)
    except AppError as exc:
        raise type(exc)(f"cannot deploy {app.name!r}: {exc}") from exc
    revision = await AppStore(ctl.nc, ctl.lattice).put(app.name, reconcile.stored_document(document, base_dir))
    return Deployed(app, revision)


async def stored_app(ctl: ControlClient, name: str) -> manifest.Application:
    stored = await AppStore(ctl.nc, ctl.lattice).get(name)
    if stored is None:
        raise AppNotDeployed(f"no application {name!r} is deployed on lattice {ctl.lattice!r} (see `lattice app list`)")
    return reconcile.application(stored)


@dataclass(frozen=True)
class Undeployed:
    name: str
    actions: int
    errors: list[str]


async def undeploy(ctl: ControlClient, name: str) -> Undeployed:
    app = await stored_app(ctl, name)
    await AppStore(ctl.nc, ctl.lattice).delete(app.name)
    actions = plan.plan_removal(app, await reconcile.observe(ctl, app.name))
    return Undeployed(app.name, len(actions), await reconcile.apply(ctl, actions))
