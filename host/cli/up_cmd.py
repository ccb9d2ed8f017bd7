"""``lattice up`` and ``lattice down``: a local lattice in one command, in the foreground or detached."""

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
from host.config import ConfigError, HostConfig
from lattice.app.errors import AppError
from lattice.cli import output
from lattice.cli.common import DEFAULT_WAIT_S, positive_float
from lattice.cli.keyfiles import local_cluster_seed
from lattice.cli.output import CliError
from lattice.errors import LatticeError
from lattice.natsconn import DEFAULT_NATS_URL

DETACH_READY_TIMEOUT_S = 120.0
DOWN_GRACE_S = 30.0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    up = sub.add_parser("up", help="start a local lattice: NATS (unless one answers), a host, optionally an app")
    add_host_flags(up)
    up.add_argument("--app", type=Path, help="deploy this application manifest once the host runs")
    up.add_argument("--wait-timeout", type=positive_float, default=DEFAULT_WAIT_S, help="seconds to wait for the app")
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
    # a local lattice loads the example app's actors and providers from files, and keeps one cluster key in its
    # state directory so that restarts and `lattice call` agree on it
    seed = config.cluster_seed or local_cluster_seed(config.state_dir)
    config = replace(config, allow_file_load=True, cluster_seed=seed)
    return config, args.nats_url or config.ctl_nats().url or DEFAULT_NATS_URL


def cmd_up(args: argparse.Namespace) -> int:
    config, url = _config(args)
    if args.app is not None and not args.app.is_file():
        raise CliError(f"--app {args.app}: no such file", output.EXIT_USAGE)
    if args.detach:
        return _detach(args, config)
    setup_logging(False, getattr(args, "verbose", False))
    from host.up import clear_ready

    try:
        return asyncio.run(_run_up(args, config, url))
    except CliError:
        raise
    except (LatticeError, AppError) as exc:
        raise CliError(str(exc)) from exc
    finally:
        clear_ready(config.state_dir)


async def _run_up(args: argparse.Namespace, config: HostConfig, url: str) -> int:
    from host.up import LocalLattice, write_ready
    from lattice.app import manifest

    app = manifest.load(args.app) if args.app else None  # a bad manifest fails before anything starts
    async with LocalLattice(config, url) as local:
        state = None
        if app is not None and args.app is not None:
            output.progress(f"deploying {app.name!r} …")
            state = await local.deploy(args.app, args.wait_timeout)
        summary = local.summary(app, state)
        write_ready(config.state_dir, summary)
        _print_summary(summary.to_json(), args.json)
        await local.host.serve_forever()
        output.progress("stopping …")
    return output.EXIT_OK


def _print_summary(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        output.emit_json(summary)
        sys.stdout.flush()
        return
    origin = "started here" if summary["nats_started"] else "already running"
    print(f"NATS     {summary['nats_url']} ({origin})")
    print(f"lattice  {summary['lattice']}")
    print(f"host     {summary['host_id']} ({summary['friendly_name']})")
    if summary.get("app"):
        state = "ready" if summary["app_ready"] else "not ready yet (see `lattice app status`)"
        print(f"app      {summary['app']}: {state}")
        for comp in summary["components"]:
            print(f"  {comp['name']:<14} {comp['type']:<10} {comp['running']}/{comp['wanted']}")
        for url in summary["urls"]:
            print(f"try      curl {url}")
    print("Ctrl-C stops everything" if not summary.get("detached") else "`lattice down` stops everything")
    sys.stdout.flush()


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
            tail = log_file.read_text(errors="replace").splitlines()[-5:]
            raise CliError("the detached lattice did not come up:\n  " + "\n  ".join(tail))
        time.sleep(0.2)
    summary = json.loads(ready.read_text()) | {"detached": True, "pid": child.pid, "log": str(log_file)}
    _print_summary(summary, args.json)
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
    if not _alive(pid):
        pid_file.unlink(missing_ok=True)
        raise CliError(f"no detached lattice runs from {state_dir} (start one with `lattice up --detach`)")
    assert pid is not None
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
