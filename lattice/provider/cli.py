"""``run(MyProvider)``: the entry point of a provider process.

HostData comes from, in order: ``--host-data`` / ``$WASMCLOUD_HOST_DATA`` (one base64 JSON line), ``--manual``
(built from the flags below, each with its environment variable), else one line on stdin (how a host starts a
provider). Exit codes: 0 after a graceful stop, 1 when serving failed, 2 when the host data or flags are unusable.
Errors are printed as one clean line, never as a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NoReturn

from lattice import keys
from lattice.errors import LatticeError
from lattice.provider import hostdata
from lattice.provider.claims import module_claims
from lattice.provider.errors import ProviderConfigError, ProviderError
from lattice.provider.provider import Provider
from lattice.provider.runner import ProviderRunner
from lattice.subjects import DEFAULT_LATTICE
from lattice.wire import DEFAULT_LINK_NAME, HostData, LinkDefinition, MessageMalformed
from lattice.wire.hostdata import DEFAULT_RPC_TIMEOUT_MS

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_MANUAL_NATS_URL = "nats://127.0.0.1:4222"
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Flag:
    name: str
    env: str | None
    help: str
    default: str | None = None


# Every flag and environment variable of a provider process, declared once.
FLAGS = (
    Flag("host-data", "WASMCLOUD_HOST_DATA", "HostData as one base64 JSON line (instead of stdin)"),
    Flag("nats-url", "NATS_URL", "--manual: lattice NATS URL", DEFAULT_MANUAL_NATS_URL),
    Flag("nats-creds", "NATS_CREDS", "--manual: NATS creds file"),
    Flag("lattice", "WASMCLOUD_LATTICE_PREFIX", "--manual: lattice prefix", DEFAULT_LATTICE),
    Flag("link-name", None, "--manual: link name", DEFAULT_LINK_NAME),
    Flag("cluster-seed", "WASMCLOUD_CLUSTER_SEED", "--manual: cluster seed (SC…) to sign calls; random if unset"),
    Flag("cluster-issuers", "WASMCLOUD_CLUSTER_ISSUERS", "--manual: extra trusted cluster keys, comma separated"),
    Flag("provider-key", None, "--manual: provider key (V…); default: the package's claims.jwt subject"),
    Flag("host-id", None, "--manual: host id (N…) that may shut this provider down; random if unset"),
    Flag("rpc-timeout-ms", "WASMCLOUD_RPC_TIMEOUT_MS", "--manual: RPC timeout", str(DEFAULT_RPC_TIMEOUT_MS)),
    Flag("js-domain", "WASMCLOUD_JS_DOMAIN", "--manual: JetStream domain"),
    Flag("config-json", None, "--manual: provider configuration (opaque JSON string)"),
)


def parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="A wasmlattice capability provider.")
    p.add_argument("--manual", action="store_true", help="build HostData from the flags below instead of stdin")
    for flag in FLAGS:
        env = f" [${flag.env}]" if flag.env else ""
        default = f" (default {flag.default})" if flag.default else ""
        p.add_argument(f"--{flag.name}", help=f"{flag.help}{env}{default}")
    p.add_argument(
        "--link",
        action="append",
        default=[],
        metavar="JSON",
        help='--manual: a link, e.g. \'{"actor_id": "M…", "values": {"PORT": "8080"}}\' (repeatable)',
    )
    return p


def flag_value(args: argparse.Namespace, flag: Flag) -> str | None:
    value: str | None = getattr(args, flag.name.replace("-", "_"))
    if value is None and flag.env:
        value = os.environ.get(flag.env) or None
    return value if value is not None else flag.default


def _provider_key(cls: type[Provider], given: str | None) -> str:
    if given:
        if not keys.is_public_key(given, keys.KeyType.SERVICE):
            raise ProviderConfigError(f"--provider-key {given[:12]!r}… is not a V… service key")
        return given
    try:
        return module_claims(cls.__module__).subject
    except ProviderConfigError as exc:
        key = keys.KeyPair.create(keys.KeyType.SERVICE).public_key
        log.warning("no provider claims (%s); using a random provider key %s", exc, key)
        return key


def _manual_links(
    raw: Sequence[str], provider_key: str, contract_id: str, link_name: str
) -> tuple[LinkDefinition, ...]:
    out = []
    for text in raw:
        try:
            body = json.loads(text)
        except ValueError as exc:
            raise ProviderConfigError(f"--link {text!r} is not JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise ProviderConfigError(f"--link {text!r} must be a JSON object")
        body = {"provider_id": provider_key, "contract_id": contract_id, "link_name": link_name, **body}
        try:
            out.append(LinkDefinition.from_wire(body, "--link"))
        except MessageMalformed as exc:
            raise ProviderConfigError(str(exc)) from exc
    return tuple(out)


def manual_host_data(cls: type[Provider], args: argparse.Namespace) -> HostData:
    """HostData for a provider started by hand (``--manual``)."""
    get = {flag.name: flag_value(args, flag) for flag in FLAGS}
    seed = get["cluster-seed"]
    try:
        cluster = (
            keys.KeyPair.from_seed(seed, keys.KeyType.CLUSTER) if seed else keys.KeyPair.create(keys.KeyType.CLUSTER)
        )
        timeout_ms = int(get["rpc-timeout-ms"] or DEFAULT_RPC_TIMEOUT_MS)
    except (keys.NKeyError, ValueError) as exc:
        raise ProviderConfigError(f"bad --cluster-seed or --rpc-timeout-ms: {exc}") from exc
    if not seed:
        log.warning("no cluster seed given: signing with a random cluster key %s", cluster.public_key)
    extra = [k.strip() for k in (get["cluster-issuers"] or "").split(",") if k.strip()]
    provider_key = _provider_key(cls, get["provider-key"])
    link_name = get["link-name"] or DEFAULT_LINK_NAME
    return HostData(
        host_id=get["host-id"] or keys.KeyPair.create(keys.KeyType.SERVER).public_key,
        lattice_rpc_prefix=get["lattice"] or DEFAULT_LATTICE,
        link_name=link_name,
        provider_key=provider_key,
        invocation_seed=cluster.seed,
        lattice_rpc_url=get["nats-url"] or DEFAULT_MANUAL_NATS_URL,
        lattice_rpc_creds_file=get["nats-creds"] or "",
        cluster_issuers=(cluster.public_key, *extra),
        instance_id=str(uuid.uuid4()),
        link_definitions=_manual_links(args.link, provider_key, cls.contract_id, link_name),
        config_json=get["config-json"],
        default_rpc_timeout_ms=timeout_ms,
        js_domain=get["js-domain"],
    )


def load_host_data(cls: type[Provider], args: argparse.Namespace) -> tuple[HostData, bool]:
    """The HostData and whether it came from a host (stdin)."""
    line = flag_value(args, FLAGS[0])
    if line:
        return hostdata.decode(line, "--host-data/$WASMCLOUD_HOST_DATA"), False
    if args.manual:
        return manual_host_data(cls, args), False
    return hostdata.from_stdin(), True


def configure_logging(host_data: HostData | None) -> None:
    level_name = (host_data.log_level if host_data and host_data.log_level else "INFO").upper()
    level = logging.getLevelNamesMapping().get(level_name, logging.INFO)
    logging.basicConfig(level=level, format=LOG_FORMAT, stream=sys.stderr, force=True)


def main(cls: type[Provider], argv: Sequence[str] | None = None) -> int:
    prog = cls.__module__.split(".")[0] if cls.__module__ != "__main__" else os.path.basename(sys.argv[0])
    args = parser(prog).parse_args(argv)
    configure_logging(None)
    try:
        host_data, from_host = load_host_data(cls, args)
    except ProviderError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(host_data)
    try:
        asyncio.run(ProviderRunner(cls, host_data, watch_parent=from_host).run())
    except LatticeError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        pass
    return EXIT_OK


def run(cls: type[Provider], argv: Sequence[str] | None = None) -> NoReturn:
    """Run ``cls`` as this process's provider and exit with :func:`main`'s code."""
    sys.exit(main(cls, argv))
