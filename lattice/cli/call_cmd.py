"""``lattice call``: invoke an actor or a provider operation from the command line with a signed invocation.

JSON in, MessagePack on the wire, JSON out; ``--raw`` sends the payload's bytes as they are and writes the reply's
bytes to stdout untouched. The invocation is signed with the lattice's cluster seed, which the hosts (and
providers) must trust. A provider serves linked actors only, so a provider call goes out on behalf of one of them:
``--as ACTOR``, or the only actor linked to it.
"""

from __future__ import annotations

import argparse
import sys

from lattice import keys
from lattice.cli import output
from lattice.cli.common import LatticeSettings, connection_flags, run, settings
from lattice.cli.keyfiles import load_key, local_cluster_seed_file
from lattice.cli.output import CliError
from lattice.control import ControlClient, NotFoundError, PayloadError
from lattice.control.call import call_actor, call_provider, json_to_msgpack, msgpack_to_json
from lattice.control.resolve import find_actor, find_provider
from lattice.rpc import RemoteError
from lattice.wire import DEFAULT_LINK_NAME, WasmCloudEntity

STDIN = "-"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "call", help="invoke an actor or provider operation (JSON in, JSON out)", parents=[connection_flags()]
    )
    parser.add_argument(
        "target", metavar="TARGET", help="actor (M… key, call alias, name) or provider (V… key, name, module)"
    )
    parser.add_argument("operation", metavar="OPERATION", help='operation, e.g. "HttpServer.HandleRequest"')
    parser.add_argument("payload", nargs="?", default="", metavar="JSON", help="payload JSON ('-' reads stdin)")
    parser.add_argument("--raw", action="store_true", help="send the payload bytes as is; write the reply bytes")
    parser.add_argument(
        "--cluster-seed", help="cluster seed (SC…) or a file holding it (default: $WASMCLOUD_CLUSTER_SEED)"
    )
    parser.add_argument("--link-name", default=DEFAULT_LINK_NAME, help="a provider's link name (default: default)")
    parser.add_argument("--as", dest="as_actor", metavar="ACTOR", help="a provider call: the linked actor to act as")
    parser.set_defaults(func=cmd_call)


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
    try:
        return load_key(given, keys.KeyType.CLUSTER, "--cluster-seed")
    except CliError as exc:  # a bad seed is a usage error, found before anything connects
        raise CliError(str(exc), output.EXIT_USAGE) from exc


def cmd_call(args: argparse.Namespace) -> int:
    config = settings(args)
    cluster_key = _cluster_key(args, config)
    payload = _payload(args)

    async def main() -> int:
        async with config.client() as ctl:
            return await _call(ctl, config, args, cluster_key, payload)

    return run(main())


async def _target(ctl: ControlClient, args: argparse.Namespace) -> tuple[WasmCloudEntity, str | None]:
    """The entity to invoke and, for a provider, the actor the call is made as."""
    text = args.target
    if not keys.is_public_key(text, keys.KeyType.SERVICE):
        if keys.is_public_key(text, keys.KeyType.MODULE):
            return WasmCloudEntity.actor(text), None
        try:
            return WasmCloudEntity.actor(await find_actor(ctl, text)), None
        except NotFoundError:
            pass  # perhaps a provider's name
    try:
        provider = await find_provider(ctl, text, force=True)
    except NotFoundError as exc:
        raise NotFoundError(
            f"no actor or provider with key, alias or name {text!r} on lattice {ctl.lattice!r}"
        ) from exc
    target = WasmCloudEntity.provider(provider.key, provider.contract_id, args.link_name)
    return target, await _linked_actor(ctl, args, provider.key)


async def _linked_actor(ctl: ControlClient, args: argparse.Namespace, provider_id: str) -> str:
    linked = sorted(
        {x.actor_id for x in await ctl.get_links() if x.provider_id == provider_id and x.link_name == args.link_name}
    )
    if args.as_actor:
        actor_id = await find_actor(ctl, args.as_actor, force=True)
        if actor_id not in linked:
            raise NotFoundError(f"actor {actor_id} has no link to provider {provider_id} ({args.link_name})")
        return actor_id
    if len(linked) == 1:
        return linked[0]
    if not linked:
        raise NotFoundError(
            f"provider {provider_id} ({args.link_name}) has no linked actor to call as: a provider serves linked "
            "actors only (`lattice ctl link put ACTOR PROVIDER CONTRACT`)"
        )
    raise NotFoundError(f"several actors are linked to provider {provider_id}: choose one with --as ACTOR")


async def _call(
    ctl: ControlClient, config: LatticeSettings, args: argparse.Namespace, cluster_key: keys.KeyPair, payload: bytes
) -> int:
    target, as_actor = await _target(ctl, args)
    try:
        if as_actor is None:
            reply = await call_actor(
                ctl.nc, ctl.lattice, cluster_key, target.public_key, args.operation, payload, config.rpc_timeout_ms
            )
        else:
            reply = await call_provider(
                ctl.nc, ctl.lattice, cluster_key, target, as_actor, args.operation, payload, config.rpc_timeout_ms
            )
    except RemoteError as exc:
        raise CliError(f"{args.operation} on {target.public_key} failed: {exc}") from exc
    if args.raw:
        sys.stdout.buffer.write(reply)
        sys.stdout.buffer.flush()
        return output.EXIT_OK
    result = msgpack_to_json(reply)
    if args.json:
        body = {"operation": args.operation, "result": result}
        who = (
            {"actor_id": target.public_key} if as_actor is None else {"provider_id": target.public_key, "as": as_actor}
        )
        output.emit_json(who | body)
    else:
        output.emit_json(result)
    return output.EXIT_OK
