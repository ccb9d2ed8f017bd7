"""Providers written in Python inside provider archives (docs/adr/0011).

A Python target's "binary" is a zip payload: ``provider.json`` (``{"module", "python", "packages"}``) and a
``site/`` tree holding the provider's package and every package it imports (found statically with ``modulefinder``
and by importing the provider in a child process), with the distributions' metadata. Its SHA-256 is signed in
``target_hashes`` like any binary. Target names: ``python3-any`` when the payload is pure Python, else
``python{X.Y}-{arch}-{os}`` (native extension modules tie it to that interpreter version and platform).

A host unpacks the payload once into ``{cache}/python/{sha256}/``: a fresh venv (``python -m venv --without-pip``
from the host's interpreter, so none of the host's packages are visible) with the ``site/`` tree as its
site-packages, and runs ``{venv}/bin/python -I -m {module}`` — isolated mode: no PYTHON* variables, no user site,
no current directory on ``sys.path``.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import io
import json
import modulefinder
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lattice.provider.errors import ProviderArchiveError
from lattice.provider.par import ProviderArchive, native_target

PAYLOAD_MANIFEST = "provider.json"
SITE = "site"
READY = "READY"
PYTHON_ANY = "python3-any"
NATIVE_SUFFIXES = (".so", ".pyd", ".dylib")
SKIP_SUFFIXES = (".pyc", ".pyo", ".c", ".h", ".pyx", ".pxd")
SKIP_NAMES = ("__main__", "_distutils_hack")
TRACE_TIMEOUT_S = 60.0
VENV_TIMEOUT_S = 60.0
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_TRACE = """
import importlib, json, pkgutil, runpy, sys
sys.path[:0] = json.loads(sys.argv[1])
name = sys.argv[2]
module = importlib.import_module(name)
for info in pkgutil.walk_packages(getattr(module, "__path__", []), name + "."):
    if not info.name.endswith("__main__"):
        importlib.import_module(info.name)
if importlib.util.find_spec(name + ".__main__" if hasattr(module, "__path__") else name) is not None:
    runpy.run_module(name, run_name="__lattice_par_trace__")  # what `-m` runs, minus its __main__ guard
print(json.dumps(sorted({m.split(".")[0] for m in list(sys.modules)})))
"""


def python_version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def python_target(native_code: bool) -> str:
    return f"python{python_version()}-{native_target()}" if native_code else PYTHON_ANY


def host_targets() -> tuple[str, ...]:
    """The targets this host runs, in order of preference: its native binary, then Python payloads."""
    return (native_target(), python_target(True), PYTHON_ANY)


def select_target(archive: ProviderArchive) -> str:
    for target in host_targets():
        if target in archive.binaries:
            return target
    have = ", ".join(sorted(archive.binaries)) or "none"
    raise ProviderArchiveError(f"archive has no binary for {native_target()} or this Python (targets: {have})")


def is_python_target(target: str) -> bool:
    return target.startswith("python")


@dataclass(frozen=True)
class PythonPayload:
    target: str
    data: bytes
    module: str
    packages: tuple[str, ...]


# -- packing ------------------------------------------------------------------------------------------------------


_STDLIB_DIRS = tuple(
    str(Path(sysconfig.get_paths()[key]).resolve()) for key in ("stdlib", "platstdlib") if key in sysconfig.get_paths()
)


def _stdlib(name: str, spec: importlib.machinery.ModuleSpec | None) -> bool:
    if name in sys.stdlib_module_names or name in sys.builtin_module_names:
        return True
    origin = spec.origin if spec is not None else None
    if origin in (None, "built-in", "frozen") and spec is not None and not spec.submodule_search_locations:
        return True
    where = origin or next(iter(spec.submodule_search_locations or []), "") if spec is not None else ""
    resolved = str(Path(where).resolve()) if where else ""
    return bool(resolved) and "site-packages" not in resolved and resolved.startswith(_STDLIB_DIRS)


def _static_imports(module: str, path: list[str], roots: Iterable[str]) -> set[str]:
    spec = importlib.util.find_spec(module) if not path else _find(module, path)
    if spec is None or spec.origin is None:
        raise ProviderArchiveError(f"no Python module {module!r} to pack")
    entry = Path(spec.origin)
    if spec.submodule_search_locations and (entry.parent / "__main__.py").is_file():
        entry = entry.parent / "__main__.py"
    finder = modulefinder.ModuleFinder(path=[*path, *roots, *sys.path])
    finder.run_script(str(entry))
    return {name.split(".")[0] for name in finder.modules}


def _find(name: str, path: list[str]) -> importlib.machinery.ModuleSpec | None:
    if name == "__main__":
        return None
    saved = sys.path[:]
    sys.path[:0] = path
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    finally:
        sys.path[:] = saved


def _roots(names: Iterable[str], path: list[str]) -> list[str]:
    """Directories holding ``names`` (so modulefinder also sees packages installed in editable mode)."""
    roots: list[str] = []
    for name in names:
        spec = None if name in sys.stdlib_module_names else _find(name, path)
        for location in (spec.submodule_search_locations or []) if spec is not None else []:
            parent = str(Path(location).parent)
            if parent not in roots:
                roots.append(parent)
    return roots


def _traced_imports(module: str, path: list[str]) -> set[str]:
    argv = [sys.executable, "-I", "-c", _TRACE, json.dumps(path), module]
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=TRACE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ProviderArchiveError(f"importing {module} took longer than {TRACE_TIMEOUT_S:g} s") from exc
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["(no output)"]
        raise ProviderArchiveError(f"cannot import {module} to find what it needs: {tail[0]}")
    lines = done.stdout.decode(errors="replace").strip().splitlines()  # the module may print: the list is last
    return set(json.loads(lines[-1])) if lines else set()


def import_closure(
    module: str, *, path: Sequence[str] = (), include: Iterable[str] = (), exclude: Iterable[str] = ()
) -> tuple[str, ...]:
    """The top-level packages and modules ``module`` needs beyond the standard library."""
    if not _MODULE.match(module):
        raise ProviderArchiveError(f"{module!r} is not a Python module name")
    search = [str(Path(p).resolve()) for p in path]
    traced = _traced_imports(module, search)
    names = traced | _static_imports(module, search, _roots(traced, search)) | set(include)
    names.add(module.split(".")[0])
    dropped = set(exclude)
    keep = set()
    for name in names:
        if name in SKIP_NAMES or name in dropped or name.startswith("__editable__"):
            continue
        spec = _find(name, search)
        if spec is not None and not _stdlib(name, spec):
            keep.add(name)
    return tuple(sorted(keep))


def _files_of(name: str, path: list[str]) -> Iterable[tuple[Path, str]]:
    """(source file, path inside ``site/``) for a top-level package or module."""
    spec = _find(name, path)
    if spec is None:
        raise ProviderArchiveError(f"cannot find package {name!r}")
    if spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            root = Path(location)
            for file in sorted(root.rglob("*")):
                rel = file.relative_to(root)
                if file.is_file() and "__pycache__" not in rel.parts and not file.name.endswith(SKIP_SUFFIXES):
                    yield file, f"{name}/{rel.as_posix()}"
    elif spec.origin and Path(spec.origin).is_file():
        yield Path(spec.origin), Path(spec.origin).name


def _metadata_files(names: Iterable[str]) -> dict[str, bytes]:
    """A small ``.dist-info`` (METADATA, entry points) for each distribution that provides one of ``names``."""
    by_package = importlib.metadata.packages_distributions()
    out: dict[str, bytes] = {}
    for dist_name in sorted({d for n in names for d in by_package.get(n, [])}):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            dist = importlib.metadata.distribution(dist_name)
            folder = f"{re.sub(r'[-_.]+', '_', dist.metadata['Name'])}-{dist.version}.dist-info"
            for item in ("METADATA", "entry_points.txt"):
                text = dist.read_text(item)
                if text is not None:
                    out[f"{folder}/{item}"] = text.encode()
            out[f"{folder}/INSTALLER"] = b"lattice par\n"
    return out


def pack_python(
    module: str, *, path: Sequence[str] = (), include: Iterable[str] = (), exclude: Iterable[str] = ()
) -> PythonPayload:
    """The payload of a Python provider run as ``python -m module`` (blocking: reads files, runs a child)."""
    search = [str(Path(p).resolve()) for p in path]
    packages = import_closure(module, path=search, include=include, exclude=exclude)
    files: dict[str, bytes] = {}
    native = False
    for name in packages:
        for source, arcname in _files_of(name, search):
            files[f"{SITE}/{arcname}"] = source.read_bytes()
            native = native or source.name.endswith(NATIVE_SUFFIXES) or ".so." in source.name
    files |= {f"{SITE}/{k}": v for k, v in _metadata_files(packages).items()}
    target = python_target(native)
    manifest = {"module": module, "python": python_version(), "target": target, "packages": list(packages)}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, body in [(PAYLOAD_MANIFEST, json.dumps(manifest, indent=1).encode()), *sorted(files.items())]:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_STORED  # the PAR is gzipped as a whole
            archive.writestr(info, body)
    return PythonPayload(target, buffer.getvalue(), module, packages)


# -- unpacking ----------------------------------------------------------------------------------------------------


def read_manifest(payload: bytes) -> dict[str, object]:
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            doc = json.loads(archive.read(PAYLOAD_MANIFEST))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ProviderArchiveError(f"the Python payload is not valid: {exc}") from exc
    module = doc.get("module") if isinstance(doc, dict) else None
    if not isinstance(module, str) or not _MODULE.match(module):
        raise ProviderArchiveError("the Python payload names no runnable module")
    return dict(doc)


def _safe_member(name: str) -> PurePosixPath | None:
    """The path below ``site/`` of a member; None for members outside it; refuses anything that could escape."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name:
        raise ProviderArchiveError(f"the Python payload holds an unsafe path {name!r}")
    if path.parts[:1] != (SITE,) or len(path.parts) < 2:
        return None
    return PurePosixPath(*path.parts[1:])


def _site_packages(venv: Path) -> Path:
    return Path(sysconfig.get_path("purelib", scheme="venv", vars={"base": str(venv), "platbase": str(venv)}))


def _make_venv(venv: Path) -> None:
    argv = [sys.executable, "-m", "venv", "--without-pip", str(venv)]
    try:
        done = subprocess.run(argv, capture_output=True, timeout=VENV_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ProviderArchiveError("creating the provider's Python environment timed out") from exc
    if done.returncode != 0:
        raise ProviderArchiveError(f"cannot create the provider's Python environment: {done.stderr.decode()[-300:]}")


def unpack_python(payload: bytes, cache_root: Path) -> tuple[str, ...]:
    """Prepare (once per payload) and return the command line that runs the payload's provider."""
    manifest = read_manifest(payload)
    digest = hashlib.sha256(payload).hexdigest()
    final = cache_root / "python" / digest
    argv = (str(final / "venv" / "bin" / "python"), "-I", "-m", str(manifest["module"]))
    if (final / READY).is_file():
        return argv
    tmp = cache_root / "python" / f".{digest}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        _make_venv(tmp / "venv")
        site = _site_packages(tmp / "venv")
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            for info in archive.infolist():
                rel = _safe_member(info.filename)
                if rel is None or info.is_dir():
                    continue
                target = site / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(info))
        (tmp / PAYLOAD_MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
        (tmp / READY).write_text(digest, encoding="ascii")
        try:
            tmp.rename(final)
        except OSError:
            if not (final / READY).is_file():
                raise
    except OSError as exc:
        raise ProviderArchiveError(f"cannot unpack the Python provider into {final}: {exc}") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return argv


def check_imports(payload: bytes, cache_root: Path) -> None:
    """Unpack ``payload`` and import its module in the isolated environment (what ``par create`` checks)."""
    argv = unpack_python(payload, cache_root)
    module = argv[-1]
    done = subprocess.run(
        [argv[0], "-I", "-c", f"import {module}"], capture_output=True, timeout=TRACE_TIMEOUT_S, check=False
    )
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["(no output)"]
        raise ProviderArchiveError(f"{module} does not import from its packed environment: {tail[0]}")
