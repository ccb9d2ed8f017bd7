"""A provider written in Python, packed as a PAR from a source tree that is then deleted, unpacked into an isolated
environment and run as a real process on a real nats-server: it answers a linked actor."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nats.aio.client import Client

from lattice import keys
from lattice.claims import ProviderMetadata
from lattice.provider.errors import ProviderArchiveError
from lattice.provider.par import create_par, read_par
from lattice.provider.pypar import (
    PYTHON_ANY,
    check_imports,
    is_python_target,
    pack_python,
    python_target,
    select_target,
    unpack_python,
)
from lattice.wire import LinkDefinition, WasmCloudEntity, pack, unpack
from tests.support.providers_harness import ActorCaller, LatticeSpec, ProviderProcess, new_actor

CONTRACT = "example:parrot"
PROVIDER_SOURCE = """
from lattice.provider import Provider, operation, run


class Parrot(Provider):
    contract_id = "example:parrot"

    @operation("Parrot.Say")
    async def say(self, actor_id: str, payload: str) -> str:
        import sys
        return f"{self.link_values(actor_id).get('prefix', '')}{payload} (python {sys.version_info.minor})"


if __name__ == "__main__":
    run(Parrot)
"""


@pytest.fixture(scope="module")
def parrot_par(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, str]:
    """A signed PAR of a provider whose source lived only in a temp dir, deleted once packed; and its key."""
    src = tmp_path_factory.mktemp("parrot-src")
    (src / "parrot_provider").mkdir()
    (src / "parrot_provider" / "__init__.py").write_text('"""A parrot."""\n', encoding="utf-8")
    (src / "parrot_provider" / "__main__.py").write_text(PROVIDER_SOURCE, encoding="utf-8")
    payload = pack_python("parrot_provider", path=[str(src)])
    shutil.rmtree(src)
    assert payload.target == python_target(True)  # msgpack and nacl (PyNaCl) bring native code
    assert {"parrot_provider", "lattice", "nats", "msgpack", "nacl"} <= set(payload.packages)
    assert "host" not in payload.packages
    assert "wasmtime" not in payload.packages
    issuer = keys.KeyPair.create(keys.KeyType.ACCOUNT)
    provider = keys.KeyPair.create(keys.KeyType.SERVICE)
    meta = ProviderMetadata(name="Parrot", capid=CONTRACT, vendor="tests", rev=2, ver="0.2.0")
    return create_par({payload.target: payload.data}, issuer, provider.public_key, meta), provider.public_key


async def test_python_par_runs_isolated_and_serves_a_linked_actor(
    nc: Client, lattice: LatticeSpec, parrot_par: tuple[bytes, str], tmp_path: Path
) -> None:
    data, provider_key = parrot_par
    archive = read_par(data)
    target = select_target(archive)
    assert is_python_target(target)
    argv = unpack_python(archive.binaries[target], tmp_path / "cache")
    assert unpack_python(archive.binaries[target], tmp_path / "cache") == argv  # prepared once
    actor = new_actor()
    link = LinkDefinition(actor, provider_key, CONTRACT, "default", {"prefix": "Polly says: "})
    proc = ProviderProcess(argv, lattice.host_data(provider_key, [link]))
    await proc.start()
    try:
        await proc.wait_ready(nc)
        target_entity = WasmCloudEntity.provider(provider_key, CONTRACT, "default")
        result = await ActorCaller(nc, lattice, target_entity, actor).call("Parrot.Say", pack("hello"))
        assert unpack(result) == f"Polly says: hello (python {sys.version_info.minor})"
    finally:
        await proc.kill()


def test_unpacked_environment_is_isolated_from_the_host(parrot_par: tuple[bytes, str], tmp_path: Path) -> None:
    archive = read_par(parrot_par[0])
    argv = unpack_python(archive.binaries[select_target(archive)], tmp_path / "cache")
    isolated = subprocess.run(
        [argv[0], "-I", "-c", "import sys; print(sys.path)"], capture_output=True, text=True, check=True
    )
    assert str(Path(sys.prefix)) not in isolated.stdout  # none of the host's packages are visible
    no_host = subprocess.run([argv[0], "-I", "-c", "import host"], capture_output=True, text=True, check=False)
    assert "ModuleNotFoundError" in no_host.stderr


def test_pack_check_imports_in_the_packed_environment(parrot_par: tuple[bytes, str], tmp_path: Path) -> None:
    archive = read_par(parrot_par[0])
    check_imports(archive.binaries[select_target(archive)], tmp_path / "cache")


def test_a_missing_dependency_is_found_by_the_import_check(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "needy").mkdir(parents=True)
    (src / "needy" / "__init__.py").write_text("import importlib\nimportlib.import_module('json_' + 'helper')\n")
    (src / "json_helper.py").write_text("VALUE = 1\n")
    payload = pack_python("needy", path=[str(src)], exclude=["json_helper"])
    assert payload.target == PYTHON_ANY
    with pytest.raises(ProviderArchiveError, match="does not import from its packed environment"):
        check_imports(payload.data, tmp_path / "cache")


def test_unsafe_payload_paths_are_refused(tmp_path: Path) -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("provider.json", '{"module": "evil"}')
        archive.writestr("site/../../escape.py", "x = 1")
    with pytest.raises(ProviderArchiveError, match="unsafe path"):
        unpack_python(buffer.getvalue(), tmp_path / "cache")
    assert not (tmp_path / "escape.py").exists()
