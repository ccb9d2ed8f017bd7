"""Refresh the dashboard screenshots in docs/images from the real page.

Runs the dashboard's browser tests (a real lattice, headless Chromium) with ``WASMLATTICE_SCREENSHOTS_DIR`` set, so
every screenshot they take is also copied here. Needs Debian's chromium (``make browser-deps``).

    .venv/bin/python tools/docs_screenshots.py
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
TESTS = "tests/integration/dashboard/test_dashboard_browser.py"


def main() -> int:
    IMAGES.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "WASMLATTICE_SCREENSHOTS_DIR": str(IMAGES)}
    done = subprocess.run([sys.executable, "-m", "pytest", TESTS, "-q", "-p", "no:cacheprovider"], cwd=ROOT, env=env)
    if done.returncode == 0:
        print("screenshots:", ", ".join(sorted(p.name for p in IMAGES.glob("dashboard*.png"))))
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
