from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from lattice.app import manifest
from lattice.app.errors import ManifestInvalid


def _doc(tmp_path: Path, **over: Any) -> dict[str, Any]:
    (tmp_path / "echo.wasm").write_bytes(b"\0asm\1\0\0\0")
    doc: dict[str, Any] = {
        "apiVersion": "core.oam.dev/v1beta1",
        "kind": "Application",
        "metadata": {"name": "demo", "annotations": {"version": "v1", "description": "d"}},
        "spec": {
            "components": [
                {
                    "name": "echo",
                    "type": "actor",
                    "properties": {"image": "echo.wasm"},
                    "traits": [
                        {"type": "spreadscaler", "properties": {"replicas": 3}},
                        {"type": "linkdef", "properties": {"target": "http", "values": {"port": 8080}}},
                    ],
                },
                {
                    "name": "http",
                    "type": "capability",
                    "properties": {"image": "python:wasmlattice_httpserver", "contract": "wasmcloud:httpserver"},
                },
            ]
        },
    }
    doc.update(over)
    return doc


def test_valid_manifest_parses_with_resolved_refs(tmp_path: Path) -> None:
    app = manifest.parse(_doc(tmp_path), tmp_path)
    echo, http = app.components
    assert app.name == "demo"
    assert app.version == "v1"
    assert echo.image == f"file://{(tmp_path / 'echo.wasm').resolve()}"
    assert echo.scaler.replicas == 3
    assert echo.links[0].values == {"port": "8080"}
    assert http.contract == "wasmcloud:httpserver"
    assert http.link_name == "default"


def test_load_reads_yaml_relative_to_file(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump(_doc(tmp_path)))
    assert manifest.load(path).actors[0].name == "echo"


def _broken(tmp_path: Path, edit: Any) -> dict[str, Any]:
    doc = _doc(tmp_path)
    edit(doc)
    return doc


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(extra=1), "unknown field 'extra'"),
        (lambda d: d["metadata"].update(labels={}), "metadata: unknown field 'labels'"),
        (lambda d: d["spec"]["components"][0]["properties"].update(imgae="x"), "unknown field 'imgae'"),
        (lambda d: d["spec"]["components"][0]["properties"].update(image="missing.wasm"), "not found"),
        (lambda d: d["spec"]["components"][1]["properties"].pop("contract"), "missing required field 'contract'"),
        (lambda d: d["spec"]["components"][0]["traits"][1]["properties"].update(target="nope"), "links to 'nope'"),
        (lambda d: d["spec"]["components"][0]["traits"][0]["properties"].update(replicas=-1), "replicas"),
        (lambda d: d["spec"]["components"][0]["traits"][0].update(type="daemonscaler"), "not supported"),
        (lambda d: d["spec"]["components"][1]["properties"].update(image="bindle://reg/x:1"), "use a local file"),
        (lambda d: d["spec"]["components"][1]["properties"].update(image="reg.io/Bad:1"), "repository component"),
        (lambda d: d["spec"]["components"][0]["properties"].update(image="lattice://e@sha1:ab"), "'sha1'"),
        (lambda d: d.update(kind="Deployment"), "kind must be"),
        (lambda d: d.update(apiVersion="v2"), "apiVersion must be"),
        (lambda d: d["spec"]["components"].append(d["spec"]["components"][1]), "used twice"),
        (lambda d: d["metadata"].update(name="Bad Name"), "metadata.name"),
    ],
)
def test_bad_manifests_name_the_problem(tmp_path: Path, edit: Any, message: str) -> None:
    with pytest.raises(ManifestInvalid, match=message):
        manifest.parse(_broken(tmp_path, edit), tmp_path)


def test_bad_yaml_is_a_manifest_error(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text("a: [unclosed")
    with pytest.raises(ManifestInvalid, match="not valid YAML"):
        manifest.load(path)


def test_link_name_must_match_the_target(tmp_path: Path) -> None:
    doc = _doc(tmp_path)
    doc["spec"]["components"][0]["traits"][1]["properties"]["link_name"] = "other"
    with pytest.raises(ManifestInvalid, match="runs with link_name 'default'"):
        manifest.parse(doc, tmp_path)


def test_environment_references_expand(tmp_path: Path) -> None:
    doc = _doc(tmp_path)
    doc["spec"]["components"][0]["traits"][1]["properties"]["values"] = {"port": "${DEMO_PORT:-8080}"}
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump(doc))
    assert manifest.load(path, env={}).actors[0].links[0].values == {"port": "8080"}
    assert manifest.load(path, env={"DEMO_PORT": "9999"}).actors[0].links[0].values == {"port": "9999"}


def test_unset_environment_reference_without_default_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump(_doc(tmp_path)).replace("demo", "${APP_NAME}", 1))
    with pytest.raises(ManifestInvalid, match=r"\$\{APP_NAME\}, which is not set"):
        manifest.load(path, env={})


@pytest.mark.parametrize(
    "image",
    [
        "lattice://echo:0.1.0",
        "lattice://acme/echo@sha256:" + "a" * 64,
        "ghcr.io/acme/echo:0.2.0",
        "127.0.0.1:5000/acme/echo:0.2.0",
        "oci://ghcr.io/acme/echo:0.2.0",
        "acme/echo:0.2.0",
    ],
)
def test_registry_refs_pass_through_as_written(tmp_path: Path, image: str) -> None:
    doc = _doc(tmp_path)
    doc["spec"]["components"][0]["properties"]["image"] = image
    doc["spec"]["components"][1]["properties"]["image"] = image.replace("echo", "httpserver")
    echo, http = manifest.parse(doc, tmp_path).components
    assert (echo.image, http.image) == (image, image.replace("echo", "httpserver"))


def test_an_existing_local_file_wins_over_a_registry_reading(tmp_path: Path) -> None:
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "echo").write_bytes(b"\0asm\1\0\0\0")
    doc = _doc(tmp_path)
    doc["spec"]["components"][0]["properties"]["image"] = "acme/echo"
    assert manifest.parse(doc, tmp_path).components[0].image == f"file://{(tmp_path / 'acme' / 'echo').resolve()}"
