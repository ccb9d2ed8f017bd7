"""``lattice push REF FILE`` and ``lattice pull REF``: actors and provider archives to and from OCI registries
(``registry/repository:tag``) and the lattice's own registry (``lattice://repository:tag``).

Registry settings come from ``WASMCLOUD_OCI_*`` (allow latest, allowed insecure registries, credentials for
``WASMCLOUD_OCI_REGISTRY``); ``--insecure``, ``--user``/``--password`` and ``--allow-latest`` apply to the ref's
registry. Lattice refs use the connection flags and ``--js-domain`` (default ``$WASMCLOUD_JS_DOMAIN``).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from pathlib import Path
from typing import Any

from lattice.cli import common, output
from lattice.cli.output import CliError
from lattice.natsconn import connect
from lattice.oci import (
    ArtifactFetcher,
    ArtifactKind,
    Credentials,
    OciError,
    OciRefInvalid,
    OciSettings,
    OciTimeout,
    OciUnreachable,
    is_lattice_ref,
    parse_ref,
    settings_from_env,
)
from lattice.oci.refs import ImageRef

JS_DOMAIN_ENV = "WASMCLOUD_JS_DOMAIN"
PROGRESS_MIN_BYTES = 1024 * 1024
PROGRESS_STEPS = 10


def _registry_flags() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("registry")
    add = group.add_argument
    add("--kind", choices=[k.value for k in ArtifactKind], help="refuse anything but this kind of artifact")
    add("--insecure", action="store_true", help="speak plain HTTP to the ref's registry (default: HTTPS)")
    add("--user", help="registry user (default: $WASMCLOUD_OCI_REGISTRY_USER for $WASMCLOUD_OCI_REGISTRY)")
    add("--password", help="registry password (default: $WASMCLOUD_OCI_REGISTRY_PASSWORD)")
    add("--allow-latest", action="store_true", help="allow ':latest' and untagged refs ($WASMCLOUD_OCI_ALLOW_LATEST)")
    add("--registry-ca", type=Path, help="CA bundle to trust for the registry's TLS certificate")
    add("--js-domain", help=f"JetStream domain of the lattice registry (default: ${JS_DOMAIN_ENV})")
    return parent


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parents = [_registry_flags(), common.connection_flags()]
    push = sub.add_parser("push", parents=parents, help="push an actor module or provider archive to a registry")
    push.add_argument("ref", help="registry/repository:tag, or lattice://repository:tag")
    push.add_argument("file", type=Path, help="a signed .wasm or a .par.gz")
    push.set_defaults(func=cmd_push)
    pull = sub.add_parser("pull", parents=parents, help="pull an actor module or provider archive from a registry")
    pull.add_argument("ref", help="registry/repository:tag[@sha256:…], or lattice://repository:tag")
    pull.add_argument(
        "-o", "--output", type=Path, help="file to write (default: the repository's last name + .wasm/.par.gz)"
    )
    pull.add_argument("--cache-dir", type=Path, help="digest-keyed cache to read and fill (default: none)")
    pull.set_defaults(func=cmd_pull)


def oci_settings(args: argparse.Namespace, env: dict[str, str] | None = None) -> OciSettings:
    environ = dict(os.environ if env is None else env)
    settings = settings_from_env(environ)
    try:
        ref = parse_ref(args.ref)
    except OciRefInvalid as exc:
        raise CliError(str(exc), output.EXIT_USAGE) from exc
    if isinstance(ref, ImageRef):
        if args.insecure:
            settings = dataclasses.replace(settings, allowed_insecure=settings.allowed_insecure | {ref.registry})
        if args.user or args.password:
            settings = settings.with_credentials(ref.registry, Credentials(args.user, args.password))
    if args.allow_latest:
        settings = dataclasses.replace(settings, allow_latest=True)
    if args.registry_ca:
        settings = dataclasses.replace(settings, ca_file=args.registry_ca)
    if getattr(args, "cache_dir", None):
        settings = dataclasses.replace(settings, cache_dir=args.cache_dir)
    return settings


class ProgressLine:
    """One stderr line per tenth of a large blob."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        if total < PROGRESS_MIN_BYTES:
            return
        step = done * PROGRESS_STEPS // total
        if step > self.shown:
            self.shown = step
            output.progress(f"{self.what}: {done / 2**20:.1f}/{total / 2**20:.1f} MiB")


async def _with_fetcher(args: argparse.Namespace, settings: OciSettings, work: Any) -> Any:
    if not is_lattice_ref(args.ref):
        async with ArtifactFetcher(settings) as fetcher:
            return await work(fetcher)
    lattice = common.settings(args)
    nc = await connect(lattice.nats)
    try:
        domain = args.js_domain or os.environ.get(JS_DOMAIN_ENV) or None
        async with ArtifactFetcher(settings, nc=nc, lattice=lattice.lattice, js_domain=domain) as fetcher:
            return await work(fetcher)
    finally:
        await nc.close()


def _run(coro: Any) -> Any:
    try:
        return common.run(coro)
    except OciTimeout as exc:
        raise CliError(str(exc), output.EXIT_TIMEOUT) from exc
    except OciUnreachable as exc:
        raise CliError(str(exc), output.EXIT_UNREACHABLE) from exc
    except OciError as exc:
        raise CliError(str(exc)) from exc


def cmd_push(args: argparse.Namespace) -> int:
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {args.file}: {exc.strerror or exc}") from exc
    settings = oci_settings(args)
    kind = ArtifactKind(args.kind) if args.kind else None
    result = _run(
        _with_fetcher(args, settings, lambda f: f.push(args.ref, data, kind, progress=ProgressLine("pushing")))
    )
    if args.json:
        output.emit_json(result.describe())
    else:
        print(f"pushed {args.file} ({result.kind.value}, {result.size} bytes) to {args.ref} as {result.digest}")
    return output.EXIT_OK


def _default_output(ref: str, kind: ArtifactKind) -> Path:
    name = ref.split("@")[0].rsplit("/", 1)[-1].split(":")[0] or "artifact"
    return Path(f"{name}.wasm" if kind is ArtifactKind.ACTOR else f"{name}.par.gz")


def cmd_pull(args: argparse.Namespace) -> int:
    settings = oci_settings(args)
    kind = ArtifactKind(args.kind) if args.kind else None
    artifact = _run(_with_fetcher(args, settings, lambda f: f.pull(args.ref, kind, progress=ProgressLine("pulling"))))
    out = args.output or _default_output(args.ref, artifact.kind)
    try:
        out.write_bytes(artifact.data)
    except OSError as exc:
        raise CliError(f"cannot write {out}: {exc.strerror or exc}") from exc
    if args.json:
        output.emit_json({**artifact.describe(), "output": str(out)})
    else:
        print(f"pulled {args.ref} ({artifact.kind.value}, {artifact.size} bytes, {artifact.digest}) to {out}")
    return output.EXIT_OK
