"""What every command that talks to a lattice shares: connection flags, the settings they make, and error mapping.

Defaults come from the environment variables every lattice member shares (:data:`lattice.settings.CONNECTION_VARS`:
``WASMCLOUD_CTL_HOST``/``PORT``/``SEED``/``JWT``/``CREDSFILE``/``TLS``, ``WASMCLOUD_LATTICE_PREFIX``,
``WASMCLOUD_CTL_TOPIC_PREFIX``, ``WASMCLOUD_CLUSTER_SEED``, ``WASMLATTICE_TLS_CA_FILE`` …), the same ones the host
reads, so a CLI and a host started from the same environment meet on the same lattice; flags override them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lattice import keys, subjects
from lattice.cli import output
from lattice.cli.keyfiles import load_key
from lattice.cli.output import CliError
from lattice.control import (
    ControlClient,
    ControlError,
    ControlTimeout,
    ControlTimeouts,
    ControlUnreachable,
    PayloadError,
)
from lattice.control.client import DEFAULT_GATHER_TIMEOUT_S, DEFAULT_REQUEST_TIMEOUT_S
from lattice.natsconn import NatsOptions, NatsOptionsError
from lattice.rpc import RpcError, RpcTimeout
from lattice.settings import ConnectionSettings, SettingsError

CLI_CLIENT_NAME = "lattice cli"
DEFAULT_WAIT_S = 60.0


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def key_value(text: str) -> tuple[str, str]:
    """``KEY=VALUE`` (the value may be empty or hold more ``=``)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value


def pairs(items: list[tuple[str, str]] | None) -> dict[str, str]:
    return dict(items or [])


def connection_flags() -> argparse.ArgumentParser:
    """A parent parser with the connection flags, so they can follow any subcommand."""
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("lattice connection")
    add = group.add_argument
    add("--nats-url", help="NATS of the lattice, e.g. nats://127.0.0.1:4222 (default: $WASMCLOUD_CTL_HOST/PORT)")
    add("-x", "--lattice", help="lattice prefix (default: $WASMCLOUD_LATTICE_PREFIX or 'default')")
    add("--ctl-prefix", help="control subject prefix (default: $WASMCLOUD_CTL_TOPIC_PREFIX or wasmbus.ctl)")
    add("--creds", type=Path, help="NATS .creds file (default: $WASMCLOUD_CTL_CREDSFILE)")
    add("--nats-seed", help="NATS user seed (SU…) or a file holding it (default: $WASMCLOUD_CTL_SEED)")
    add("--nats-jwt", help="NATS user JWT or a file holding it, with --nats-seed (default: $WASMCLOUD_CTL_JWT)")
    add("--tls", action="store_true", help="require TLS (default: $WASMCLOUD_CTL_TLS)")
    add("--tls-ca", type=Path, help="CA bundle for the server (default: $WASMLATTICE_TLS_CA_FILE)")
    add("--tls-cert", type=Path, help="client certificate (with --tls-key)")
    add("--tls-key", type=Path, help="client certificate key")
    add("--timeout", type=positive_float, help=f"seconds to wait for a reply (default {DEFAULT_REQUEST_TIMEOUT_S:g})")
    add(
        "--gather-timeout",
        type=positive_float,
        help=f"seconds to collect every host's answer to pings and auctions (default {DEFAULT_GATHER_TIMEOUT_S:g})",
    )
    parent.add_argument("--json", action="store_true", help="print JSON instead of tables")
    return parent


@dataclass(frozen=True)
class LatticeSettings:
    """Where the lattice is and how to talk to it, after flags and environment."""

    nats: NatsOptions
    lattice: str
    ctl_prefix: str
    timeouts: ControlTimeouts
    rpc_timeout_ms: int
    cluster_seed: str | None = field(default=None, repr=False)

    def client(self) -> ControlClient:
        return ControlClient(self.nats, self.lattice, prefix=self.ctl_prefix, timeouts=self.timeouts)


def _literal_or_file(value: str, looks_literal: Callable[[str], bool], what: str) -> str:
    if looks_literal(value.strip()):
        return value.strip()
    path = Path(value).expanduser()
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise CliError(f"{what} {value!r} is neither a value nor a readable file ({exc.strerror})", 2) from exc


def _auth(args: argparse.Namespace, base: NatsOptions) -> dict[str, Any]:
    if not (args.creds or args.nats_seed or args.nats_jwt):
        return {"seed": base.seed, "jwt": base.jwt, "creds_file": base.creds_file}
    seed = load_key(args.nats_seed, keys.KeyType.USER, "--nats-seed").seed if args.nats_seed else None
    jwt = _literal_or_file(args.nats_jwt, lambda v: v.startswith("eyJ"), "--nats-jwt") if args.nats_jwt else None
    return {"seed": seed, "jwt": jwt, "creds_file": args.creds}


def _nats(args: argparse.Namespace, config: ConnectionSettings, timeout_s: float) -> NatsOptions:
    base = config.ctl_nats()
    tls = bool(args.tls or base.tls_required or (args.nats_url or "").startswith("tls://"))
    try:
        return NatsOptions(
            url=args.nats_url or base.url,
            **_auth(args, base),
            tls_required=tls,
            tls_ca=args.tls_ca or (config.tls_ca_file if tls else None),
            tls_cert=args.tls_cert or (config.tls_cert_file if tls else None),
            tls_key=args.tls_key or (config.tls_key_file if tls else None),
            name=CLI_CLIENT_NAME,
            connect_timeout_s=timeout_s,
            max_reconnect_attempts=0,
        )
    except NatsOptionsError as exc:
        raise CliError(str(exc), output.EXIT_USAGE) from exc


def settings(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> LatticeSettings:
    """The settings for one command run: flags first, then the environment, then the defaults."""
    try:
        config = ConnectionSettings.from_env(os.environ if env is None else env)
    except SettingsError as exc:
        raise CliError(f"bad environment: {exc}", output.EXIT_USAGE) from exc
    request_s = args.timeout or DEFAULT_REQUEST_TIMEOUT_S
    timeouts = ControlTimeouts(request_s, args.gather_timeout or DEFAULT_GATHER_TIMEOUT_S)
    lattice = args.lattice or config.lattice
    try:
        subjects.check_token(lattice, "--lattice")
    except subjects.SubjectError as exc:
        raise CliError(str(exc), output.EXIT_USAGE) from exc
    return LatticeSettings(
        nats=_nats(args, config, request_s),
        lattice=lattice,
        ctl_prefix=args.ctl_prefix or config.ctl_topic_prefix,
        timeouts=timeouts,
        rpc_timeout_ms=int(args.timeout * 1000) if args.timeout else config.rpc_timeout_ms,
        cluster_seed=config.cluster_seed,
    )


def run(main: Coroutine[Any, Any, int]) -> int:
    """Run one command's coroutine, turning library errors into one-line CLI errors with meaningful exit codes."""
    try:
        return asyncio.run(main)
    except ControlUnreachable as exc:
        raise CliError(str(exc), output.EXIT_UNREACHABLE) from exc
    except (ControlTimeout, RpcTimeout) as exc:
        raise CliError(str(exc), output.EXIT_TIMEOUT) from exc
    except PayloadError as exc:
        raise CliError(f"malformed reply: {exc}", output.EXIT_FAILURE) from exc
    except (ControlError, RpcError) as exc:
        raise CliError(str(exc), output.EXIT_FAILURE) from exc


Handler = Callable[[ControlClient, argparse.Namespace], Awaitable[int]]
SettingsHandler = Callable[[ControlClient, LatticeSettings, argparse.Namespace], Awaitable[int]]


def with_settings(handler: SettingsHandler) -> Callable[[argparse.Namespace], int]:
    """A command function that opens a control client from the flags and runs ``handler`` with it and the settings."""

    def command(args: argparse.Namespace) -> int:
        config = settings(args)

        async def main() -> int:
            async with config.client() as ctl:
                return await handler(ctl, config, args)

        return run(main())

    return command


def with_client(handler: Handler) -> Callable[[argparse.Namespace], int]:
    """A command function that opens a control client from the flags and runs ``handler`` with it."""

    async def adapted(ctl: ControlClient, _config: LatticeSettings, args: argparse.Namespace) -> int:
        return await handler(ctl, args)

    return with_settings(adapted)
