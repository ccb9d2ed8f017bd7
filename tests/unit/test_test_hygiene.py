"""The test suites keep their own house rules (read from the source with ``ast``):

* a suite imports another suite's code only from ``tests/support/``; nobody imports from a ``conftest.py`` or a
  ``test_*.py`` module, and nobody imports a ``_private`` name of another test module;
* there is one way to wait for a condition, ``tests/support/waiting.py``: no other loop sleeps between polls;
* a fixture is defined in one conftest only;
* ports for processes are picked one way, ``tests/support/ports.py`` (outside the kernel's ephemeral range): no
  test binds port 0 only to hand the number on (another process may take it before the test's process binds it).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
SHARED = "support"
WAITING = TESTS / SHARED / "waiting.py"
PORTS = TESTS / SHARED / "ports.py"


def module_of(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def suite_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else ""


def imports_of_tests(tree: ast.AST) -> Iterator[tuple[int, str, list[str]]]:
    """``(line, module, names)`` of every import of a ``tests.…`` module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tests."):
            names = [alias.name for alias in node.names]
            yield node.lineno, node.module, names
            for name in names:  # ``from tests.x import module``
                yield node.lineno, f"{node.module}.{name}", []
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("tests."):
                    yield node.lineno, alias.name, []


def import_problems(path: Path, tree: ast.AST) -> list[str]:
    here, problems = module_of(path), []
    for line, target, names in imports_of_tests(tree):
        where = f"{path.relative_to(REPO)}:{line}"
        leaf = target.rsplit(".", 1)[-1]
        known = (TESTS.parent / Path(*target.split("."))).with_suffix(".py").is_file()
        if known and (leaf == "conftest" or leaf.startswith("test_")):
            problems.append(f"{where}: imports from {target} (move shared code to a support module)")
        if known and suite_of(target) not in (suite_of(here), SHARED):
            problems.append(f"{where}: imports {target} from another suite (share it through tests/support/)")
        private = [n for n in names if n.startswith("_") and not n.startswith("__")]
        if private:
            problems.append(f"{where}: imports private {', '.join(private)} from {target}")
    return problems


def polling_loops(path: Path, tree: ast.AST) -> list[str]:
    """Loops that sleep: hand-made copies of wait-until."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.While | ast.For | ast.AsyncFor):
            sleeps = [
                sub
                for sub in ast.walk(node)
                if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr == "sleep"
            ]
            if sleeps:
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: a loop that sleeps (use tests.support.waiting)")
    return found


def released_ports(path: Path, tree: ast.AST) -> list[str]:
    """Functions that bind port 0 and never listen: a port picked, released and handed on."""
    found = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        calls = [
            (c.func.attr, c) for c in ast.walk(func) if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute)
        ]
        listens = any(name == "listen" for name, _ in calls)
        for name, call in calls:
            address = call.args[0] if name == "bind" and call.args else None
            port = address.elts[1] if isinstance(address, ast.Tuple) and len(address.elts) == 2 else None
            if isinstance(port, ast.Constant) and port.value == 0 and not listens:
                where = f"{path.relative_to(REPO)}:{call.lineno}"
                found.append(f"{where}: binds port 0 and releases it (use tests.support.ports.free_port)")
    return found


def fixtures(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(target, ast.Attribute) and target.attr == "fixture":
                    yield node.name


def test_suites_share_code_only_through_tests_support() -> None:
    problems = []
    for path in sorted(TESTS.rglob("*.py")):
        problems += import_problems(path, ast.parse(path.read_text(encoding="utf-8")))
    assert problems == []


def test_waiting_is_done_one_way() -> None:
    problems = []
    for path in sorted(TESTS.rglob("*.py")):
        if path != WAITING:
            problems += polling_loops(path, ast.parse(path.read_text(encoding="utf-8")))
    assert problems == []
    assert polling_loops(WAITING, ast.parse(WAITING.read_text(encoding="utf-8")))  # the checker sees loops


def test_ports_are_picked_one_way() -> None:
    problems = []
    for path in sorted([*TESTS.rglob("*.py"), *(REPO / "bench").rglob("*.py")]):
        problems += released_ports(path, ast.parse(path.read_text(encoding="utf-8")))
    assert problems == []


def test_each_fixture_is_defined_in_one_conftest() -> None:
    defined: dict[str, list[str]] = defaultdict(list)
    for path in sorted(TESTS.rglob("conftest.py")):
        for name in fixtures(ast.parse(path.read_text(encoding="utf-8"))):
            defined[name].append(str(path.relative_to(REPO)))
    assert {name: paths for name, paths in defined.items() if len(paths) > 1} == {}
    assert {"nc", "cluster_key", "target", "server"} <= defined.keys()


def test_the_checkers_catch_each_kind_of_problem() -> None:
    source = (
        "from tests.integration.conftest import TlsFiles\n"
        "from tests.unit.host.runtime.test_runtime_pool import Blocker\n"
        "from tests.support.nats_auth import _hidden\n"
        "async def f():\n    while True:\n        await asyncio.sleep(1)\n"
    )
    path = TESTS / "faults" / "example.py"
    tree = ast.parse(source)
    problems = import_problems(path, tree)
    assert len(problems) == 5, problems  # conftest + other suite, test module + other suite, private name
    assert len(polling_loops(path, tree)) == 1
    released = "def pick():\n    with socket.socket() as s:\n        s.bind(('127.0.0.1', 0))\n"
    held = "def hold():\n    with socket.socket() as s:\n        s.bind(('127.0.0.1', 0))\n        s.listen()\n"
    assert len(released_ports(path, ast.parse(released))) == 1
    assert released_ports(path, ast.parse(held)) == []
