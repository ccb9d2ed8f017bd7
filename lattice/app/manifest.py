"""Application manifests: the subset of wadm's OAM format that wasmlattice deploys.

```yaml
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: demo, annotations: {version: v1, description: "..."}}
spec:
  components:
    - name: echo
      type: actor
      properties: {image: ./echo/echo.wasm}          # a local path (relative to the manifest), file:// URL,
                                                     # lattice://echo:0.1.0 or ghcr.io/acme/echo:0.1.0
      traits:
        - type: spreadscaler
          properties: {replicas: 2, spread: [{name: east, requirements: {zone: east}, weight: 50}]}
        - type: linkdef
          properties: {target: httpserver, values: {port: "8080"}}
    - name: httpserver
      type: capability
      properties: {image: "python:wasmlattice_httpserver", contract: wasmcloud:httpserver, link_name: default}
```

Parsing is strict: an unknown field anywhere is an error naming its path, so a typo never deploys half an app.
``${VAR}`` and ``${VAR:-default}`` in the file are replaced from the environment of whoever deploys it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lattice.app.errors import ManifestInvalid
from lattice.oci.errors import OciRefInvalid
from lattice.oci.refs import is_local_ref, parse_ref
from lattice.wire import DEFAULT_LINK_NAME

API_VERSION = "core.oam.dev/v1beta1"
KIND = "Application"
APP_ANNOTATION = "wasmcloud.dev/appspec"
MAX_REPLICAS = 1000
SUPPORTED_REFS = "use a local file, file://, python:<module>, lattice://NAME:TAG or REGISTRY/REPOSITORY:TAG"
_NAME = re.compile(r"^[a-z0-9]([a-z0-9_-]{0,62}[a-z0-9])?$")


@dataclass(frozen=True)
class Spread:
    name: str
    requirements: Mapping[str, str]
    weight: int = 100


@dataclass(frozen=True)
class Scaler:
    replicas: int = 1
    spread: tuple[Spread, ...] = ()


@dataclass(frozen=True)
class LinkTrait:
    target: str
    values: Mapping[str, str]
    link_name: str | None = None  # None: the target capability's link name


@dataclass(frozen=True)
class Component:
    name: str
    type: str  # "actor" | "capability"
    image: str
    scaler: Scaler
    contract: str = ""
    link_name: str = DEFAULT_LINK_NAME
    config: str | None = None
    links: tuple[LinkTrait, ...] = ()

    @property
    def is_actor(self) -> bool:
        return self.type == "actor"


@dataclass(frozen=True)
class Application:
    name: str
    version: str
    description: str
    components: tuple[Component, ...]

    def component(self, name: str) -> Component:
        for comp in self.components:
            if comp.name == name:
                return comp
        raise KeyError(name)

    @property
    def actors(self) -> tuple[Component, ...]:
        return tuple(c for c in self.components if c.is_actor)

    @property
    def capabilities(self) -> tuple[Component, ...]:
        return tuple(c for c in self.components if not c.is_actor)


def _map(
    value: Any, path: str, allowed: set[str], required: frozenset[str] | set[str] = frozenset()
) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ManifestInvalid(f"{path} must be a mapping")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ManifestInvalid(f"{path}: unknown field {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
    missing = sorted(required - set(value))
    if missing:
        raise ManifestInvalid(f"{path}: missing required field {missing[0]!r}")
    return value


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ManifestInvalid(f"{path} must be a non-empty string")
    return value.strip()


def _str_map(value: Any, path: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ManifestInvalid(f"{path} must be a mapping of strings")
    out: dict[str, str] = {}
    for key, val in value.items():
        if not isinstance(key, str) or isinstance(val, Mapping | list) or val is None:
            raise ManifestInvalid(f"{path}.{key} must be a string value")
        out[key] = str(val).lower() if isinstance(val, bool) else str(val)
    return out


def _int(value: Any, path: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ManifestInvalid(f"{path} must be a whole number from {low} to {high}")
    return value


def _spread(value: Any, path: str) -> Spread:
    body = _map(value, path, {"name", "requirements", "weight"}, {"name"})
    return Spread(
        name=_str(body["name"], f"{path}.name"),
        requirements=_str_map(body.get("requirements"), f"{path}.requirements"),
        weight=_int(body.get("weight", 100), f"{path}.weight", 0, 100_000),
    )


def _scaler(value: Any, path: str) -> Scaler:
    body = _map(value, path, {"replicas", "instances", "spread"})
    spread = body.get("spread") or []
    if not isinstance(spread, list):
        raise ManifestInvalid(f"{path}.spread must be a list")
    replicas = body.get("replicas", body.get("instances", 1))
    return Scaler(
        replicas=_int(replicas, f"{path}.replicas", 0, MAX_REPLICAS),
        spread=tuple(_spread(s, f"{path}.spread[{i}]") for i, s in enumerate(spread)),
    )


def _link(value: Any, path: str) -> LinkTrait:
    body = _map(value, path, {"target", "values", "link_name"}, {"target"})
    return LinkTrait(
        target=_str(body["target"], f"{path}.target"),
        values=_str_map(body.get("values"), f"{path}.values"),
        link_name=_str(body["link_name"], f"{path}.link_name") if "link_name" in body else None,
    )


def _resolve_image(image: str, base_dir: Path | None, path: str) -> str:
    """Local refs become absolute ``file://`` URLs, checked to exist; ``python:`` refs and registry refs
    (``lattice://…``, ``[registry/]repository:tag[@sha256:…]``) pass through as written, checked to parse."""
    if image.startswith("python:"):
        if not re.match(r"^python:[A-Za-z_][\w.]*$", image):
            raise ManifestInvalid(f"{path}: {image!r} is not a python:<module> ref")
        return image
    local = Path(image.removeprefix("file://")).expanduser()
    if not local.is_absolute() and base_dir is not None:
        local = base_dir / local
    if not is_local_ref(image) and not local.is_file():
        if "://" in image and not image.startswith(("lattice://", "oci://")):
            raise ManifestInvalid(f"{path}: {image!r}: {SUPPORTED_REFS}")
        try:
            parse_ref(image)
        except OciRefInvalid as exc:
            raise ManifestInvalid(f"{path}: {exc}") from None
        return image
    if not local.is_file():
        raise ManifestInvalid(f"{path}: image {image!r} not found (looked at {local})")
    return f"file://{local.resolve()}"


def _component(value: Any, path: str, base_dir: Path | None) -> Component:
    body = _map(value, path, {"name", "type", "properties", "traits"}, {"name", "type", "properties"})
    name = _str(body["name"], f"{path}.name")
    kind = body["type"]
    if kind not in ("actor", "capability"):
        raise ManifestInvalid(f"{path}.type must be 'actor' or 'capability', not {kind!r}")
    allowed = {"image"} if kind == "actor" else {"image", "contract", "link_name", "config"}
    props = _map(body["properties"], f"{path}.properties", allowed, {"image"})
    if kind == "capability" and "contract" not in props:
        raise ManifestInvalid(f"{path}.properties: missing required field 'contract'")
    scaler, links = Scaler(), []
    traits = body.get("traits") or []
    if not isinstance(traits, list):
        raise ManifestInvalid(f"{path}.traits must be a list")
    for i, trait in enumerate(traits):
        tpath = f"{path}.traits[{i}]"
        tbody = _map(trait, tpath, {"type", "properties"}, {"type", "properties"})
        if tbody["type"] == "spreadscaler":
            scaler = _scaler(tbody["properties"], f"{tpath}.properties")
        elif tbody["type"] == "linkdef" and kind == "actor":
            links.append(_link(tbody["properties"], f"{tpath}.properties"))
        else:
            raise ManifestInvalid(f"{tpath}.type {tbody['type']!r} is not supported on a {kind} component")
    config = props.get("config")
    return Component(
        name=name,
        type=kind,
        image=_resolve_image(_str(props["image"], f"{path}.properties.image"), base_dir, f"{path}.properties.image"),
        scaler=scaler,
        contract=_str(props["contract"], f"{path}.properties.contract") if kind == "capability" else "",
        link_name=_str(props.get("link_name", DEFAULT_LINK_NAME), f"{path}.properties.link_name"),
        config=None if config is None else (config if isinstance(config, str) else _json(config)),
        links=tuple(links),
    )


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def parse(document: Any, base_dir: Path | None = None) -> Application:
    """Validate a decoded manifest document; every error names the offending field."""
    body = _map(document, "manifest", {"apiVersion", "kind", "metadata", "spec"}, {"apiVersion", "kind", "metadata"})
    if body["apiVersion"] != API_VERSION:
        raise ManifestInvalid(f"apiVersion must be {API_VERSION!r}, not {body['apiVersion']!r}")
    if body["kind"] != KIND:
        raise ManifestInvalid(f"kind must be {KIND!r}, not {body['kind']!r}")
    meta = _map(body["metadata"], "metadata", {"name", "annotations"}, {"name"})
    name = _str(meta["name"], "metadata.name")
    if not _NAME.match(name):
        raise ManifestInvalid("metadata.name must be lowercase letters, digits, '-' or '_' (at most 64)")
    annotations = _str_map(meta.get("annotations"), "metadata.annotations")
    spec = _map(body.get("spec"), "spec", {"components"}, {"components"})
    raw = spec["components"]
    if not isinstance(raw, list) or not raw:
        raise ManifestInvalid("spec.components must be a non-empty list")
    components = tuple(_component(c, f"spec.components[{i}]", base_dir) for i, c in enumerate(raw))
    _check_names_and_links(components)
    return Application(name, annotations.get("version", ""), annotations.get("description", ""), components)


def _check_names_and_links(components: tuple[Component, ...]) -> None:
    names = [c.name for c in components]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ManifestInvalid(f"component name {dupes[0]!r} is used twice")
    capabilities = {c.name: c for c in components if not c.is_actor}
    for comp in components:
        seen: set[tuple[str, str]] = set()
        for link in comp.links:
            target = capabilities.get(link.target)
            if target is None:
                raise ManifestInvalid(
                    f"component {comp.name!r} links to {link.target!r}, which is not a capability component here"
                )
            if link.link_name is not None and link.link_name != target.link_name:
                raise ManifestInvalid(
                    f"component {comp.name!r} links with link_name {link.link_name!r}, but {target.name!r} "
                    f"runs with link_name {target.link_name!r}"
                )
            key = (target.contract, target.link_name)
            if key in seen:
                raise ManifestInvalid(f"component {comp.name!r} has two links for {target.contract} {link.link_name}")
            seen.add(key)


_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand_env(text: str, env: Mapping[str, str]) -> str:
    """Replace ``${VAR}`` and ``${VAR:-default}``; an unset variable without a default is an error."""

    def sub(found: re.Match[str]) -> str:
        name, default = found.group(1), found.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        raise ManifestInvalid(f"manifest uses ${{{name}}}, which is not set (give a default: ${{{name}:-value}})")

    return _ENV_REF.sub(sub, text)


def read_document(path: Path, env: Mapping[str, str] | None = None) -> tuple[Any, Path]:
    """The decoded YAML (or JSON) of a manifest file, with ``${VAR:-default}`` expanded, and its folder."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ManifestInvalid(f"cannot read {path}: {exc.strerror or exc}") from exc
    text = expand_env(text, os.environ if env is None else env)
    try:
        return yaml.safe_load(text), path.parent.resolve()
    except yaml.YAMLError as exc:
        raise ManifestInvalid(f"{path} is not valid YAML: {exc}") from exc


def load(path: Path, env: Mapping[str, str] | None = None) -> Application:
    """Read and validate a manifest file; relative image paths resolve against its folder."""
    document, base_dir = read_document(path, env)
    return parse(document, base_dir)
