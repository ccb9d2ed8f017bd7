"""``lattice call``: invoke an actor operation from the command line with a signed invocation.

JSON in, MessagePack on the wire, JSON out; ``--raw`` sends the payload's bytes as they are and writes the reply's
bytes to stdout untouched. The invocation is signed with the lattice's cluster seed, which the hosts must trust.
"""

from __future__ import annotations

import argparse
import sys

from lattice import keys
from lattice.cli import output
from lattice.cli.common import LatticeSettings, connection_flags, with_settings
from lattice.cli.keyfiles import load_key, local_cluster_seed_file
from lattice.cli.output import CliError
from lattice.control import ControlClient, PayloadError
from lattice.control.call import call_actor, json_to_msgpack, msgpack_to_json, resolve_actor
from lattice.rpc import RemoteError

STDIN = "-"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("call", help="invoke an actor operation (JSON in, JSON out)", parents=[connection_flags()])
    parser.add_argument("actor", metavar="ACTOR", help="actor public key (M…), call alias or name")
    parser.add_argument("operation", metavar="OPERATION", help='operation, e.g. "HttpServer.HandleRequest"')
    parser.add_argument("payload", nargs="?", default="", metavar="JSON", help="payload JSON ('-' reads stdin)")
    parser.add_argument("--raw", action="store_true", help="send the payload bytes as is; write the reply bytes")
    parser.add_argument(
        "--cluster-seed", help="cluster seed (SC…) or a file holding it (default: $WASMCLOUD_CLUSTER_SEED)"
    )
    parser.set_defaults(func=with_settings(cmd_call))


def _payload(args: argparse.Namespace) -> bytes:
    raw = sys.stdin.buffer.read() if args.payload == STDIN else args.payload.encode()
    if args.raw:
        return raw
    try:
        return json_to_msgpack(raw.decode("utf-8", errors="strict"))
    except (PayloadError, UnicodeDecodeError) as exc:
        raise CliError(str(exc), output.EXIT_USAGE) from exc


def _cluster_key(args: argparse.Namespace, config: LatticeSettings) -> keys.KeyPair:
    local = local_cluster_seed_file()
    given = args.cluster_seed or config.cluster_seed or (str(local) if local.is_file() else None)
    if not given:
        raise CliError(
            "`lattice call` signs the invocation with the lattice's cluster seed: pass --cluster-seed SC… "
            f"(or a file holding it) or set WASMCLOUD_CLUSTER_SEED (a `lattice up` lattice keeps it in {local})",
            output.EXIT_USAGE,
        )
    return load_key(given, keys.KeyType.CLUSTER, "--cluster-seed")


async def cmd_call(ctl: ControlClient, config: LatticeSettings, args: argparse.Namespace) -> int:
    payload = _payload(args)
    cluster_key = _cluster_key(args, config)
    actor_id = await resolve_actor(ctl, args.actor)
    try:
        reply = await call_actor(
            ctl.nc, ctl.lattice, cluster_key, actor_id, args.operation, payload, config.rpc_timeout_ms
        )
    except RemoteError as exc:
        raise CliError(f"{args.operation} on {actor_id} failed: {exc}") from exc
    if args.raw:
        sys.stdout.buffer.write(reply)
        sys.stdout.buffer.flush()
        return output.EXIT_OK
    result = msgpack_to_json(reply)
    if args.json:
        output.emit_json({"actor_id": actor_id, "operation": args.operation, "result": result})
    else:
        output.emit_json(result)
    return output.EXIT_OK
