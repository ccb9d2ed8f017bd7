"""``run(MyProvider)``: the entry point of a provider process.

HostData comes from, in order: ``--host-data`` / ``$WASMCLOUD_HOST_DATA`` (one base64 JSON line), ``--manual``
(built from the flags below, each with its environment variable), else one line on stdin (how a host starts a
provider).

A provider run by hand keeps one identity across restarts (links are stored by provider key): ``--provider-key``,
else the subject of its package's ``claims.jwt``, else a key kept in a seed file made once, 0600
(``--provider-seed``, default ``{keys dir}/provider-{name}.nk``, as ``lattice keys`` does). It signs with the
local lattice's cluster seed (``{state dir}/cluster.nk`` of ``lattice up``) unless ``--cluster-seed`` names one.

Exit codes: 0 after a graceful stop, 1 when serving failed, 2 when the host data or flags are unusable. Errors are
printed as one clean line, never as a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from lattice import keys
from lattice.cli.keyfiles import keys_dir, local_cluster_seed_file
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
    Flag(
        "cluster-seed",
        "WASMCLOUD_CLUSTER_SEED",
        "--manual: cluster seed (SC…) or a file holding it; default: the local lattice's cluster.nk of `lattice up`",
    ),
    Flag("cluster-issuers", "WASMCLOUD_CLUSTER_ISSUERS", "--manual: extra trusted cluster keys, comma separated"),
    Flag("provider-key", None, "--manual: provider key (V…); default: the package's claims.jwt subject"),
    Flag(
        "provider-seed",
        None,
        "--manual, without claims.jwt: seed file of the provider key, made once (default {keys dir}/provider-NAME.nk)",
    ),
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


def _provider_key(cls: type[Provider], given: str | None, seed_file: str | None) -> str:
    if given:
        if not keys.is_public_key(given, keys.KeyType.SERVICE):
            raise ProviderConfigError(f"--provider-key {given[:12]!r}… is not a V… service key")
        return given
    try:
        return module_claims(cls.__module__).subject
    except ProviderConfigError:
        path = Path(seed_file).expanduser() if seed_file else keys_dir() / f"provider-{_slug(cls)}.nk"
        pair = kept_key(path, keys.KeyType.SERVICE)
        log.info("provider key %s (no claims.jwt: kept in %s)", pair.public_key, path)
        return pair.public_key


def _slug(cls: type[Provider]) -> str:
    module = cls.__module__ if cls.__module__ != "__main__" else Path(sys.argv[0]).stem
    return re.sub(r"[^A-Za-z0-9_-]", "_", f"{module}.{cls.__name__}" if module else cls.__name__)


def kept_key(path: Path, kind: keys.KeyType) -> keys.KeyPair:
    """The key pair in a seed file, made (0600) on first use."""
    try:
        if path.is_file():
            return keys.KeyPair.from_seed(path.read_text(encoding="ascii").strip(), kind)
        pair = keys.KeyPair.create(kind)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(pair.seed + "\n")
        return pair
    except (OSError, UnicodeDecodeError, keys.NKeyError) as exc:
        raise ProviderConfigError(f"provider seed file {path}: {exc}") from exc


def _cluster_seed(given: str | None) -> str | None:
    """``--cluster-seed`` (a seed or a file holding one), else the local lattice's, else None."""
    if given:
        text = given.strip()
        if text.startswith("S") and len(text) == keys.SEED_LENGTH:
            return text
        try:
            return Path(text).expanduser().read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ProviderConfigError(f"bad --cluster-seed: neither a seed nor a readable file ({exc})") from exc
    local = local_cluster_seed_file()
    if local.is_file():
        log.info("signing with the local lattice's cluster key (%s)", local)
        return local.read_text(encoding="ascii").strip()
    return None


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
    seed = _cluster_seed(get["cluster-seed"])
    try:
        cluster = (
            keys.KeyPair.from_seed(seed, keys.KeyType.CLUSTER) if seed else keys.KeyPair.create(keys.KeyType.CLUSTER)
        )
        timeout_ms = int(get["rpc-timeout-ms"] or DEFAULT_RPC_TIMEOUT_MS)
    except (keys.NKeyError, ValueError) as exc:
        raise ProviderConfigError(f"bad --cluster-seed or --rpc-timeout-ms: {exc}") from exc
    if not seed:
        log.warning(
            "no cluster seed (no --cluster-seed, no `lattice up` cluster.nk): this provider signs with a new cluster "
            "key %s that no host trusts, and accepts calls only from it; pass --cluster-seed",
            cluster.public_key,
        )
    extra = [k.strip() for k in (get["cluster-issuers"] or "").split(",") if k.strip()]
    provider_key = _provider_key(cls, get["provider-key"], get["provider-seed"])
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
        asyncio.run(ProviderRunner(cls, host_data, watch_parent=from_host, manual=bool(args.manual)).run())
    except LatticeError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        pass
    return EXIT_OK


def run(cls: type[Provider], argv: Sequence[str] | None = None) -> NoReturn:
    """Run ``cls`` as this process's provider and exit with :func:`main`'s code."""
    sys.exit(main(cls, argv))
