"""Every reference to a document resolves inside the repository.

* A section reference (``§4.2``) names its document on the same line, before it (``docs/protocol.md §4.2, §4.4``);
  inside a Markdown file a bare ``§2`` means a section of that file. The section must be a numbered heading there.
* A path to a Markdown file (``docs/adr/0002-claims-and-signing.md``) names a file that exists; a Markdown link with
  an anchor (``protocol.md#74-hostdata``) names a heading of that file.
* A test named in the docs (``tests/unit/x.py::test_y``) exists.
* Nothing points at the development environment's notes, which are not part of the repository.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

SELF = Path(__file__).resolve()
REPO = SELF.parents[2]
SCANNED = ("lattice", "host", "capability-providers", "tests", "tools", "bench", "actors-examples", "docs")
SUFFIXES = frozenset({".py", ".ts", ".md", ".sh", ".toml", ".yaml", ".yml"})
SKIPPED_PARTS = frozenset({"node_modules", "__pycache__", ".venv", "build"})

SECTION = re.compile(r"§(\d+(?:\.\d+)*)")
DOC_PATH = re.compile(r"(?<![\w/.-])((?:\.\./|\./)?(?:[\w-]+/)*[\w.-]+\.md)\b")
HEADING = re.compile(r"^#{1,6}\s+(\d+(?:\.\d+)*)\.?\s")
ANCHOR_LINK = re.compile(r"\]\(((?:[\w./-]+\.md)?)#([\w-]+)\)")
TEST_REF = re.compile(r"(tests/[\w/]+\.py)::(test_\w+)")
OUTSIDE = ("protocol-" + "wasmbus", "../" + "shared", "/work/" + "shared", "shared/" + "protocol")


def scanned_files() -> Iterator[Path]:
    """Every text file of the repository that may cite a document (this file holds broken examples on purpose)."""
    yield REPO / "README.md"
    for top in SCANNED:
        for path in sorted((REPO / top).rglob("*")):
            if path.suffix in SUFFIXES and path.is_file() and not SKIPPED_PARTS & set(path.parts) and path != SELF:
                yield path


def rel(path: Path) -> str:
    return str(path.relative_to(REPO))


@cache
def headings(doc: Path) -> tuple[frozenset[str], frozenset[str]]:
    """The section numbers and the GitHub anchors of a Markdown file's headings."""
    numbers, anchors = set(), set()
    for line in doc.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            continue
        found = HEADING.match(line)
        if found:
            numbers.add(found.group(1))
        anchors.add(slug(line.lstrip("#").strip()))
    return frozenset(numbers), frozenset(anchors)


def slug(title: str) -> str:
    """GitHub's heading anchor: lowercase, punctuation dropped, spaces become hyphens."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def resolve_doc(source: Path, name: str) -> Path | None:
    for base in (source.parent, REPO):
        candidate = (base / name).resolve()
        if candidate.is_file():
            return candidate
    return None


def section_problems(path: Path, lineno: int, line: str) -> Iterator[str]:
    docs = [(m.start(), m.group(1)) for m in DOC_PATH.finditer(line)]
    for ref in SECTION.finditer(line):
        named = [name for start, name in docs if start < ref.start()]
        if named:
            doc = resolve_doc(path, named[-1])
            if doc is None:
                yield f"{rel(path)}:{lineno}: §{ref.group(1)} names {named[-1]}, which does not exist"
                continue
        elif path.suffix == ".md":
            doc = path
        else:
            yield f"{rel(path)}:{lineno}: §{ref.group(1)} names no document (write e.g. docs/protocol.md §4.2)"
            continue
        if ref.group(1) not in headings(doc)[0]:
            yield f"{rel(path)}:{lineno}: §{ref.group(1)} is not a numbered heading of {rel(doc)}"


def path_problems(path: Path, lineno: int, line: str) -> Iterator[str]:
    for found in DOC_PATH.finditer(line):
        name = found.group(1)
        if "/" in name and resolve_doc(path, name) is None:
            yield f"{rel(path)}:{lineno}: {name} does not exist"
    if path.suffix != ".md":
        return
    for found in ANCHOR_LINK.finditer(line):
        doc = resolve_doc(path, found.group(1)) if found.group(1) else path
        if doc is not None and found.group(2) not in headings(doc)[1]:
            yield f"{rel(path)}:{lineno}: no heading #{found.group(2)} in {rel(doc)}"
    for found in TEST_REF.finditer(line):
        test_file = REPO / found.group(1)
        if not test_file.is_file() or f"def {found.group(2)}(" not in test_file.read_text(encoding="utf-8"):
            yield f"{rel(path)}:{lineno}: {found.group(1)}::{found.group(2)} does not exist"


def all_problems() -> list[str]:
    problems = []
    for path in scanned_files():
        for lineno, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            problems += section_problems(path, lineno, line)
            problems += path_problems(path, lineno, line)
            problems += [f"{rel(path)}:{lineno}: points outside the repository ({w})" for w in OUTSIDE if w in line]
    return problems


def test_every_reference_resolves_inside_the_repository() -> None:
    assert all_problems() == []


def test_the_code_cites_the_protocol_reference() -> None:
    cited = sum(
        1 for path in scanned_files() if path.suffix == ".py" and "docs/protocol.md §" in path.read_text("utf-8")
    )
    assert cited >= 50  # the reference is the one the code follows: most protocol modules cite it


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("see docs/protocol.md §4.2, §4.4", []),
        ("see docs/protocol.md §99", ["§99 is not a numbered heading of docs/protocol.md"]),
        ("see §4.2", ["§4.2 names no document"]),
        ("see docs/nothing.md §1", ["docs/nothing.md does not exist", "§1 names docs/nothing.md"]),
        ("at docs/adr/0002-claims.md", ["docs/adr/0002-claims.md does not exist"]),
    ],
)
def test_the_checker_catches_broken_references(line: str, expected: list[str]) -> None:
    source = REPO / "lattice" / "example.py"
    found = [*section_problems(source, 1, line), *path_problems(source, 1, line)]
    assert len(found) == len(expected)
    for message, fragment in zip(sorted(found), sorted(expected), strict=True):
        assert fragment in message


def test_the_checker_reads_markdown_anchors_and_tests() -> None:
    source = REPO / "docs" / "providers.md"
    good = (
        "[x](protocol.md#74-hostdata) `tests/unit/test_doc_references.py::test_the_checker_catches_broken_references`"
    )
    bad = "[x](protocol.md#74-hostdat) `tests/unit/test_doc_references.py::test_nothing`"
    assert list(path_problems(source, 1, good)) == []
    assert len(list(path_problems(source, 1, bad))) == 2
