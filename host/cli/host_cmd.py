"""``lattice host``: run one host in the foreground until Ctrl-C, SIGTERM or a control ``stop`` command.

Settings come from the ``WASMCLOUD_*`` / ``WASMLATTICE_*`` / ``HOST_*`` environment (docs/configuration.md); flags
override them.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import logging
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from host.config import ConfigError, HostConfig, from_env
from host.errors import HostError
from lattice.cli import output
from lattice.cli.output import CliError
from lattice.settings import parse_csv


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("host", help="run a host in the foreground (settings: environment, then these flags)")
    add_host_flags(parser)
    parser.add_argument("--json", action="store_true", help="log JSON lines instead of text")
    parser.set_defaults(func=cmd_host)


def add_host_flags(parser: argparse.ArgumentParser, *, local: bool = False) -> None:
    """The flags that shape a host (shared by ``lattice host`` and, with ``local``, ``lattice up``)."""
    parser.add_argument("--nats-url", metavar="URL", help="NATS for RPC, control and providers (nats://host:port)")
    parser.add_argument("--lattice", metavar="PREFIX", help="lattice prefix (WASMCLOUD_LATTICE_PREFIX)")
    parser.add_argument("--host-seed", metavar="SEED", help="host seed SN… (default: random)")
    seed_default = "{state dir}/cluster.nk, made once" if local else "random, with a warning"
    parser.add_argument("--cluster-seed", metavar="SEED", help=f"cluster seed SC… (default: {seed_default})")
    parser.add_argument("--cluster-issuers", metavar="K1,K2", help="extra trusted cluster public keys")
    if local:  # `lattice up` always loads files (the example app is files)
        parser.set_defaults(allow_file_load=True)
    else:
        parser.add_argument("--allow-file-load", action="store_true", help="allow file:// actors and providers")
    parser.add_argument(
        "--label", metavar="K=V", action="append", default=[], help="host label (repeatable; adds to HOST_*)"
    )
    parser.add_argument("--rpc-timeout-ms", metavar="MS", type=int, help="lattice RPC timeout")
    parser.add_argument("--state-dir", metavar="DIR", type=Path, help="host state (module cache, provider files)")


def parse_label(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise CliError(f"--label {text!r} must look like key=value", output.EXIT_USAGE)
    return key.strip(), value


def config_from_args(args: argparse.Namespace, env: dict[str, str]) -> HostConfig:
    """The environment's config with the flags applied on top."""
    config = from_env(env)
    if args.nats_url:
        config = config.with_nats_url(args.nats_url)
    changes: dict[str, Any] = {}
    for flag, field_name in (("lattice", "lattice"), ("host_seed", "host_seed"), ("cluster_seed", "cluster_seed")):
        if getattr(args, flag):
            changes[field_name] = getattr(args, flag)
    if args.cluster_issuers:
        changes["cluster_issuers"] = (*config.cluster_issuers, *parse_csv(args.cluster_issuers))
    if args.allow_file_load:
        changes["allow_file_load"] = True
    if args.rpc_timeout_ms is not None:
        changes["rpc_timeout_ms"] = args.rpc_timeout_ms
    if args.state_dir is not None:
        changes["state_dir"] = args.state_dir
    if args.label:
        changes["labels"] = {**config.labels, **dict(parse_label(text) for text in args.label)}
    return replace(config, **changes)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and the exception text, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line)


def setup_logging(as_json: bool, verbose: bool) -> None:
    handler = logging.StreamHandler()
    if as_json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler], force=True)


def cmd_host(args: argparse.Namespace) -> int:
    try:
        config = config_from_args(args, dict(os.environ))
    except ConfigError as exc:
        raise CliError(f"bad host configuration: {exc}", output.EXIT_USAGE) from exc
    setup_logging(args.json, getattr(args, "verbose", False))
    from host.host import run_host  # imported here: wasmtime and the host load only for this command

    try:
        asyncio.run(run_host(config))
    except HostError as exc:
        raise CliError(str(exc)) from exc
    return output.EXIT_OK
