"""A small application (an actor linked to the httpserver) and lattice views of it, for the planner's unit tests."""

from __future__ import annotations

from pathlib import Path

from lattice.app import manifest
from lattice.app.facts import ModuleFacts
from lattice.app.plan import ActorView, HostView, LatticeView, ProviderView
from lattice.wire import LinkDefinition

ACTOR = "M" + "A" * 55
OTHER = "M" + "C" * 55
PROV = "V" + "B" * 55
HTTP = "python:wasmlattice_httpserver"
NOTES = {"wasmcloud.dev/appspec": "demo"}
FACTS = {"echo": ModuleFacts(ACTOR, 3, "H1"), "http": ModuleFacts(PROV)}


def make_app(folder: Path) -> manifest.Application:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "echo.wasm").write_bytes(b"\0asm\1\0\0\0")
    doc = {
        "apiVersion": "core.oam.dev/v1beta1",
        "kind": "Application",
        "metadata": {"name": "demo"},
        "spec": {
            "components": [
                {
                    "name": "echo",
                    "type": "actor",
                    "properties": {"image": "echo.wasm"},
                    "traits": [{"type": "linkdef", "properties": {"target": "http", "values": {"port": "8080"}}}],
                },
                {
                    "name": "http",
                    "type": "capability",
                    "properties": {"image": HTTP, "contract": "wasmcloud:httpserver"},
                },
            ]
        },
    }
    return manifest.parse(doc, folder)


def running_from(image: str, owned: int = 1) -> LatticeView:
    actors = (ActorView(ACTOR, image, owned, revision=3),)
    providers = (ProviderView(PROV, HTTP, "default", "wasmcloud:httpserver", True),)
    link = LinkDefinition(ACTOR, PROV, "wasmcloud:httpserver", "default", {"port": "8080"})
    return LatticeView((HostView("N1", {}, actors, providers),), (link,))
