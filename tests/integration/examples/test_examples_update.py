"""The "Change, rebuild, redeploy" commands of every actor README, checked against the real CLI, and run once for
echo: edit a copy of actors-examples/ (new code, higher rev) → build.sh (what ``make actors`` runs) → the README's
``lattice ctl update actor`` line, as a subprocess, against a host running echo from that copy → the new revision
answers."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import shutil
import sys
from pathlib import Path

import pytest

from lattice.claims import read_claims
from lattice.cli.main import build_parser
from tests.integration.examples.examples_support import (
    EXAMPLES,
    HTTPSERVER,
    REPO,
    open_lattice,
)

ACTORS = sorted(json.loads((EXAMPLES / "manifest.json").read_text())["actors"])
SECTION = re.compile(r"## Change, rebuild, redeploy\n.*?```sh\n(.*?)```", re.S)
NODE = shutil.which("node")
BUILD_TIMEOUT_S = 180.0
CLI_TIMEOUT_S = 60.0
CODE_BEFORE = '.str("method", req.method)'


def readme_commands(name: str) -> list[str]:
    """The shell lines of the README's "Change, rebuild, redeploy" block, comments stripped."""
    found = SECTION.search((EXAMPLES / name / "README.md").read_text())
    assert found, f"{name}/README.md has no 'Change, rebuild, redeploy' sh block"
    return [line.split("  #")[0].strip() for line in found[1].splitlines() if line.strip()]


def update_argv(line: str, host: str, root: Path) -> list[str]:
    """The README's update line with its placeholders filled, run from ``root`` (the checkout root)."""
    return shlex.split(line.replace("<host-id>", host).replace("$(pwd -P)", str(root)))


LATTICE_CLI = Path(sys.executable).with_name("lattice")  # the console script, as .venv/bin/lattice


@pytest.mark.parametrize("name", ACTORS)
def test_readme_commands_match_the_cli_and_the_build(name: str) -> None:
    edit, build, update = readme_commands(name)
    assert edit == f"$EDITOR actors-examples/{name}/assembly/index.ts actors-examples/{name}/actor.json"
    assert build == "make actors"
    argv = update_argv(update, "quiet-otter-12", Path("/checkout"))
    assert argv[0] == ".venv/bin/lattice"
    assert argv[1:4] == ["ctl", "update", "actor"]
    args = build_parser().parse_args(argv[1:])
    assert args.host == "quiet-otter-12"
    assert args.actor_id == json.loads((EXAMPLES / "manifest.json").read_text())["actors"][name]["public_key"]
    assert args.new_ref == f"file:///checkout/actors-examples/{name}/{name}.wasm"
    assert args.wait is not None


def test_make_actors_runs_build_sh() -> None:
    recipe = re.search(r"^actors:.*\n\t(.+)$", (REPO / "Makefile").read_text(), re.M)
    assert recipe is not None
    assert recipe[1].strip() == "bash actors-examples/build.sh"


def copy_checkout(root: Path) -> Path:
    """actors-examples/ copied under ``root`` (node_modules linked, not copied); the copy's directory."""
    work = root / "actors-examples"
    shutil.copytree(EXAMPLES, work, ignore=shutil.ignore_patterns("node_modules", "build"))
    (work / "node_modules").symlink_to(EXAMPLES / "node_modules", target_is_directory=True)
    return work


def edit_echo(work: Path) -> int:
    """The README's first step: change the code (answer with ``"rev"``) and raise ``rev``; the new rev."""
    spec_file = work / "echo" / "actor.json"
    spec = json.loads(spec_file.read_text())
    spec["rev"] += 1
    spec_file.write_text(json.dumps(spec))
    source = work / "echo" / "assembly" / "index.ts"
    code = source.read_text()
    assert code.count(CODE_BEFORE) == 1
    source.write_text(code.replace(CODE_BEFORE, f'{CODE_BEFORE}\n    .int("rev", {spec["rev"]})'))
    rev: int = spec["rev"]
    return rev


async def run(argv: list[str], cwd: Path, timeout_s: float, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run a command without blocking the event loop the host runs on; exit code and combined output."""
    proc = await asyncio.create_subprocess_exec(
        *argv, cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout_s)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError(f"{argv[:3]} did not finish within {timeout_s}s") from None
    assert proc.returncode is not None
    return proc.returncode, out.decode(errors="replace")


@pytest.mark.slow
@pytest.mark.skipif(NODE is None, reason="node is not installed: the documented rebuild (make actors) cannot run here")
async def test_documented_update_flow_live_updates_echo(nats_url: str, tmp_path: Path) -> None:
    if not (EXAMPLES / "node_modules" / ".bin" / "asc").exists():
        pytest.skip("actors-examples/node_modules is missing (npm ci needs the network): cannot rebuild echo")
    root = (tmp_path / "checkout").resolve()
    work = copy_checkout(root)
    _, _, update = readme_commands("echo")
    module = work / "echo" / "echo.wasm"
    async with open_lattice(nats_url, tmp_path / "host", [HTTPSERVER]) as lat:
        ref = f"file://{module}"  # what app.yaml's `image: echo/echo.wasm` resolves to, and the README names
        await lat.ctl.start_actor(lat.host.host_id, ref)
        echo_key = read_claims(module.read_bytes()).subject
        await lat.events.wait_for("actors_started", public_key=echo_key)
        url = await lat.serve_http(echo_key)
        async with lat.http.get(f"{url}/before") as resp:
            assert resp.status == 200
            before = json.loads(await resp.read())
        assert before["path"] == "/before"
        assert "rev" not in before

        rev = edit_echo(work)
        env = {
            "PATH": os.environ["PATH"],
            "HOME": os.environ["HOME"],
            "LATTICE": str(LATTICE_CLI),
            "PYTHON": sys.executable,
        }
        code, out = await run(["bash", str(work / "build.sh"), "echo"], work, BUILD_TIMEOUT_S, env)
        assert code == 0, out[-3000:]
        assert read_claims(module.read_bytes()).metadata.rev == rev

        argv = update_argv(update, lat.host.friendly_name, root)
        code, out = await run(
            [str(LATTICE_CLI), *argv[1:], "--nats-url", nats_url, "-x", lat.prefix], root, CLI_TIMEOUT_S
        )
        assert code == 0, out
        assert f"updated {echo_key} to {ref}" in out

        async with lat.http.get(f"{url}/after") as resp:
            assert resp.status == 200
            answer = json.loads(await resp.read())
        assert (answer["path"], answer["rev"]) == ("/after", rev)
        inventory = await lat.ctl.get_inventory(lat.host.host_id)
        (echo,) = [a for a in inventory.actors if a.id == echo_key]
        assert ([i.revision for i in echo.instances], echo.image_ref) == ([rev], ref)
