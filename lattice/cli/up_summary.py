"""What ``lattice up`` prints once the app runs (or failed): built from the app status, never from the manifest.

A URL is printed only for an HTTP link the provider acknowledged; a refused link is printed as an error that
names the port, the link and how to fix it.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lattice.app.manifest import Application
from lattice.app.status import AppStatus, LinkStatus
from lattice.provider.status import LINKED, REFUSED

HTTP_CONTRACT = "wasmcloud:httpserver"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _address(values: Mapping[str, str]) -> tuple[str, str]:
    """(host, port) an httpserver link listens on (``port`` binds 127.0.0.1; ``address`` is IP:PORT)."""
    lowered = {k.lower(): v for k, v in values.items()}
    address = lowered.get("address") or f"127.0.0.1:{lowered.get('port', '8000')}"
    host, _, port = address.rpartition(":")
    return ("127.0.0.1" if host in ("", "0.0.0.0", "[::]") else host), port


def url_of(link: LinkStatus) -> str | None:
    if link.contract != HTTP_CONTRACT or link.state == REFUSED or link.state not in (LINKED, "unconfirmed"):
        return None
    host, port = _address(link.values)
    return f"http://{host}:{port}/"


def port_variable(manifest: Path | None, port: str) -> str | None:
    """The ``${VAR:-default}`` of the manifest that gave ``port`` (so the fix can say ``VAR=… make run``)."""
    if manifest is None:
        return None
    try:
        text = manifest.read_text()
    except OSError:
        return None
    for found in _VAR.finditer(text):
        name, default = found.group(1), found.group(2)
        if os.environ.get(name, default) == port:
            return name
    return None


def fix_for(link: LinkStatus, manifest: Path | None) -> str:
    """What to do about a refused link: for a port in use, which port, and how to pick another."""
    if link.contract != HTTP_CONTRACT or "in use" not in link.error:
        return f"see the provider's log; change the link's values in {manifest or 'the manifest'} and deploy again"
    _, port = _address(link.values)
    variable = port_variable(manifest, port)
    where = f"set {variable} to a free port (e.g. `{variable}=18080 make run`)" if variable else f"edit {manifest}"
    return f"free port {port} (`ss -ltnp 'sport = :{port}'` shows who holds it) or {where}"


def summary(
    base: Mapping[str, Any], app: Application | None, state: AppStatus | None, manifest: Path | None
) -> dict[str, Any]:
    out = dict(base) | {"app": app.name if app else None, "app_ready": bool(state and state.ready)}
    if state is None:
        return out | {"app_failed": False, "urls": [], "components": [], "links": [], "problems": []}
    problems = [f"{c.name}: {c.error}" for c in state.components if c.error]
    problems += [
        f"link {x.label} refused: {x.error}; fix: {fix_for(x, manifest)}" for x in state.links if x.state == REFUSED
    ]
    return out | {
        "app_failed": state.failed,
        "deployment": state.deployment,
        "urls": [url for x in state.links if (url := url_of(x))],
        "components": [
            {"name": c.name, "type": c.type, "wanted": c.wanted, "running": c.running, "error": c.error or None}
            for c in state.components
        ],
        "links": [
            {"link": x.label, "contract_id": x.contract, "state": x.state, "error": x.error or None}
            for x in state.links
        ],
        "problems": problems,
    }


def print_summary(found: Mapping[str, Any]) -> None:
    origin = "started here" if found["nats_started"] else "already running"
    print(f"NATS     {found['nats_url']} ({origin})")
    print(f"lattice  {found['lattice']}")
    print(f"host     {found['host_id']} ({found['friendly_name']})")
    if found.get("app"):
        word = "ready" if found["app_ready"] else "FAILED" if found.get("app_failed") else "not ready yet"
        print(f"app      {found['app']}: {word}" + ("" if found["app_ready"] else " (see `lattice app status`)"))
        for comp in found["components"]:
            error = f"  error: {comp['error']}" if comp.get("error") else ""
            print(f"  {comp['name']:<14} {comp['type']:<10} {comp['running']}/{comp['wanted']}{error}")
        for link in found.get("links", []):
            if link["state"] != LINKED:
                print(f"  link {link['link']}: {link['state']}" + (f": {link['error']}" if link.get("error") else ""))
        for url in found["urls"]:
            print(f"try      curl {url}")
        for problem in found.get("problems", []):
            print(f"error: {problem}", file=sys.stderr)
    if found.get("app_failed"):
        print("stopping: the app cannot run as written (exit 1)")
    else:
        print("Ctrl-C stops everything" if not found.get("detached") else "`lattice down` stops everything")
    sys.stdout.flush()
