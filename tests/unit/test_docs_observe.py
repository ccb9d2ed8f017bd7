"""docs/observe.md lists every metric the code declares, and the dashboard's files ship in the package."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from lattice.observe.metrics import SPECS, full_name

REPO = Path(__file__).resolve().parents[2]


def test_every_metric_is_documented() -> None:
    text = (REPO / "docs" / "observe.md").read_text()
    missing = [full_name(s) for s in SPECS if f"`{full_name(s)}`" not in text]
    assert not missing, f"docs/observe.md does not list {missing}"


def test_the_screenshots_the_docs_show_exist() -> None:
    import re

    text = (REPO / "docs" / "observe.md").read_text()
    images = re.findall(r"\]\((images/[^)]+)\)", text)
    assert images
    for image in images:
        assert (REPO / "docs" / image).is_file(), image


def test_the_dashboard_page_ships_with_the_package() -> None:
    static = importlib.resources.files("lattice.dashboard").joinpath("static")
    for name in ("index.html", "app.js", "app.css"):
        assert static.joinpath(name).read_text().strip(), name
