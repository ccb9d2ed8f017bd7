"""``lattice ctl registry put``: registry credentials for every host (``registries.put``)."""

from __future__ import annotations

import argparse
import os
import sys

from lattice.cli import ctl_output, output
from lattice.cli.output import CliError
from lattice.control import ControlClient
from lattice.control.requests import RegistryCredential
from lattice.oci.settings import PASSWORD_ENV


async def registry_put(ctl: ControlClient, args: argparse.Namespace) -> int:
    """The secret comes from stdin or the environment, never from the command line (where ``ps`` shows it)."""
    secret = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else os.environ.get(PASSWORD_ENV, "")
    if not secret:
        raise CliError(f"no secret: pass --password-stdin or set {PASSWORD_ENV}", output.EXIT_USAGE)
    cred = RegistryCredential("oci", args.user, None if args.token else secret, secret if args.token else None)
    count = await ctl.put_registries({args.server: cred})
    message = f"{count} host(s) took the credentials for {args.server}"
    ctl_output.accepted(message, args.json, {"registry": args.server, "hosts": count}, [])
    return output.EXIT_OK
