"""Layers point one way: ``lattice/`` never imports ``host/``, the wasm runtime never reaches NATS or the host's
lattice side, and the ``lattice`` CLI still offers every command (the host's through an entry point).

Imports are read from the source (AST), including imports inside functions and ``TYPE_CHECKING`` blocks.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROVIDERS = REPO / "capability-providers"
RUNTIME = "host.runtime"
RUNTIME_MAY_USE = frozenset({"host.errors"})
"""Outside host.runtime, only the host's error root (a leaf: it imports nothing of the project)."""
COMMANDS = ("keys", "claims", "up", "down", "host", "ctl", "call", "events", "app")


def module_name(path: Path) -> str:
    base = path.parent.parent if path.is_relative_to(PROVIDERS) else REPO
    parts = path.relative_to(base).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    found = {}
    for top in (REPO / "lattice", REPO / "host", *sorted(PROVIDERS.glob("*/wasmlattice_*"))):
        for path in sorted(top.rglob("*.py")):
            found[module_name(path)] = path
    return found


def imports_of(source: str, module: str) -> Iterator[str]:
    """Every module an import statement in ``source`` names (``from a import b`` yields ``a`` and ``a.b``)."""
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def is_within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def allowed_outside_runtime(name: str) -> bool:
    return any(is_within(name, allowed) for allowed in RUNTIME_MAY_USE)


def graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: set(imports_of(path.read_text(encoding="utf-8"), name)) for name, path in modules.items()}


def reachable(start: str, edges: dict[str, set[str]]) -> set[str]:
    """Every name ``start`` imports, directly or through project modules."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        for name in edges.get(todo.pop(), ()):
            if name not in seen:
                seen.add(name)
                todo.append(name)
    return seen


def layer_violations(edges: dict[str, set[str]]) -> list[str]:
    problems = []
    for module, names in sorted(edges.items()):
        if is_within(module, "lattice") or module.startswith("wasmlattice_"):
            problems += [f"{module} imports {name}" for name in sorted(names) if is_within(name, "host")]
        if is_within(module, RUNTIME):
            outside = [n for n in names if is_within(n, "host") and not is_within(n, RUNTIME)]
            problems += [f"{module} imports {n}" for n in sorted(outside) if not allowed_outside_runtime(n)]
            problems += [f"{module} reaches {n}" for n in sorted(reachable(module, edges)) if is_within(n, "nats")]
    for allowed in RUNTIME_MAY_USE:
        problems += [f"{allowed} imports {n}" for n in sorted(edges.get(allowed, ())) if not is_within(n, "__future__")]
    return problems


def test_layers_point_one_way() -> None:
    edges = graph()
    assert {"lattice.cli.main", "host.runtime.abi", "wasmlattice_httpserver.provider"} <= edges.keys()
    assert layer_violations(edges) == []


def test_the_walk_sees_imports_in_functions_and_relative_ones() -> None:
    source = "from __future__ import annotations\ndef f():\n    import host.host\nfrom . import sibling\n"
    assert set(imports_of(source, "lattice.cli.x")) >= {"host.host", "lattice.cli.sibling"}


def test_the_checker_reports_each_kind_of_violation() -> None:
    edges = {
        "lattice.cli.bad": {"host.config"},
        "host.runtime.bad": {"host.state", "lattice.rpc"},
        "lattice.rpc": {"nats.js"},
        "host.errors": {"__future__", "__future__.annotations"},
        "host.runtime.good": {"host.errors", "host.errors.HostError", "host.runtime.abi"},
    }
    assert layer_violations(edges) == [
        "host.runtime.bad imports host.state",
        "host.runtime.bad reaches nats.js",
        "lattice.cli.bad imports host.config",
    ]


def test_lattice_help_lists_every_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lattice.cli.main", "--help"], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr
    listed = {line.split()[0] for line in done.stdout.splitlines() if line.startswith("    ") and line.split()}
    assert listed >= set(COMMANDS)


def test_python_m_host_is_lattice_host() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "host", "--help"], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: lattice host")
