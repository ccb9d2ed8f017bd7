"""Draw the error trees of ``lattice`` and ``host`` from the classes themselves into docs/errors.md.

python tools/errors_doc.py          # rewrite docs/errors.md
python tools/errors_doc.py --check  # exit 1 when docs/errors.md is out of date (run by the tests)
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "errors.md"
PACKAGES = ("lattice", "host")
BEGIN, END = "<!-- errors:begin -->", "<!-- errors:end -->"

HEADER = """# Errors

Every error wasmlattice raises is a class in one tree per package: `lattice.errors.LatticeError` for everything a
lattice member shares (keys, claims, wire, RPC, control client, CLI helpers, apps) and `host.errors.HostError` for
the host. Branches follow what a caller can do: a timeout (also an `asyncio.TimeoutError`), a refusal with a reason,
something not found, claims that cannot be trusted, a guest that failed. Remote callers never see these classes or
tracebacks: an invocation's failure travels as the text of `InvocationResponse.error`, a control command's as the
`error` of its ack.

The trees below are generated from the code (`python tools/errors_doc.py`); a test fails when they drift.
"""


def _classes() -> list[type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for package in PACKAGES:
        pkg = importlib.import_module(package)
        for info in pkgutil.walk_packages(pkg.__path__, f"{package}."):
            if info.name.endswith("__main__"):
                continue
            module = importlib.import_module(info.name)
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, BaseException) and cls.__module__.split(".")[0] in PACKAGES:
                    found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return sorted(found.values(), key=lambda c: (c.__module__, c.__qualname__))


def _line(cls: type[BaseException]) -> str:
    doc = (inspect.getdoc(cls) or "").split("\n")[0].strip()
    extra = [b.__qualname__ for b in cls.__bases__[1:]]
    also = f" (also {', '.join(extra)})" if extra else ""
    return f"{cls.__qualname__} — `{cls.__module__}`{also}" + (f": {doc}" if doc else "")


def render() -> str:
    classes = _classes()
    children: dict[type[BaseException], list[type[BaseException]]] = {c: [] for c in classes}
    roots = []
    for cls in classes:
        parent = next((b for b in cls.__bases__ if b in children), None)
        (children[parent] if parent is not None else roots).append(cls)
    lines: list[str] = []

    def walk(cls: type[BaseException], prefix: str, last: bool, top: bool) -> None:
        lines.append(("" if top else prefix + ("└── " if last else "├── ")) + _line(cls))
        kids = children[cls]
        for i, kid in enumerate(kids):
            walk(kid, "" if top else prefix + ("    " if last else "│   "), i == len(kids) - 1, False)

    for root in roots:
        walk(root, "", True, True)
        lines.append("")
    return f"{BEGIN}\n```\n" + "\n".join(lines).rstrip() + f"\n```\n{END}\n"


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    text = HEADER + "\n" + render()
    if "--check" in argv:
        if not DOC.exists() or DOC.read_text() != text:
            print("docs/errors.md is out of date: run `python tools/errors_doc.py`", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
