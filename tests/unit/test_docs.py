"""Docs that are generated from the code stay in step with it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_errors_doc_matches_the_exception_classes() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "tools" / "errors_doc.py"), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_readme_links_point_at_files_that_exist() -> None:
    import re

    text = (REPO / "README.md").read_text()
    for target in re.findall(r"\]\(([^)#]+)\)", text):
        assert (REPO / target).exists(), f"README links to missing {target}"
