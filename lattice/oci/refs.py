"""Artifact references: OCI ``[registry/]repository[:tag][@sha256:hex]`` and the lattice registry's
``lattice://repository[:tag][@sha256:hex]``.

OCI names follow the distribution reference grammar, with the defaults of docker and wash: the first path component
is a registry only when it holds a ``.`` or a ``:`` or is ``localhost``; otherwise the registry is Docker Hub and a
one-component repository gets ``library/``. A ref without tag and digest means ``latest``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lattice.oci.errors import OciLatestRefused, OciRefInvalid

LATTICE_SCHEME = "lattice://"
OCI_SCHEME = "oci://"
FILE_SCHEME = "file://"
LOCAL_PREFIXES = ("/", "./", "../", "~")
MODULE_SUFFIXES = (".wasm",)
ARCHIVE_SUFFIXES = (".par", ".par.gz")
DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
LATEST = "latest"
SHA256 = "sha256"
ALLOW_LATEST_ENV = "WASMCLOUD_OCI_ALLOW_LATEST"

_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$")
_IPV6 = re.compile(r"^\[[0-9A-Fa-f:.]+\]$")
MAX_REF_CHARS = 512


@dataclass(frozen=True)
class ImageRef:
    """A parsed OCI reference. ``registry`` is ``host[:port]`` as written (``docker.io`` for Docker Hub)."""

    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def reference(self) -> str:
        """What the manifest endpoint is asked for: the digest when pinned, else the tag (``latest`` if none)."""
        return self.digest or self.tag or LATEST

    @property
    def api_host(self) -> str:
        return DOCKER_HUB_API if self.registry == DOCKER_HUB else self.registry

    @property
    def is_latest(self) -> bool:
        return self.digest is None and self.tag in (None, LATEST)

    def with_digest(self, digest: str) -> ImageRef:
        return ImageRef(self.registry, self.repository, self.tag, digest)

    def __str__(self) -> str:
        text = f"{self.registry}/{self.repository}"
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


@dataclass(frozen=True)
class LatticeRef:
    """A reference into the lattice's own registry (a JetStream object store of the lattice)."""

    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def is_latest(self) -> bool:
        return self.digest is None and self.tag in (None, LATEST)

    def __str__(self) -> str:
        text = f"{LATTICE_SCHEME}{self.repository}"
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


ArtifactRef = ImageRef | LatticeRef


def is_local_ref(text: str, suffixes: tuple[str, ...] = MODULE_SUFFIXES + ARCHIVE_SUFFIXES) -> bool:
    """A local file: ``file://…``, or a path (``/…``, ``./…``, ``../…``, ``~…``, or a name ending in ``suffixes``)."""
    if text.startswith(FILE_SCHEME):
        return True
    return "://" not in text and (text.startswith(LOCAL_PREFIXES) or text.endswith(suffixes))


def is_lattice_ref(text: str) -> bool:
    return text.startswith(LATTICE_SCHEME)


def is_oci_ref(text: str) -> bool:
    """Whether ``text`` parses as an OCI reference (without applying any policy)."""
    try:
        parse_image_ref(text)
    except OciRefInvalid:
        return False
    return True


def check_digest(ref: str, digest: str) -> str:
    if not _DIGEST.match(digest):
        algorithm = digest.split(":", 1)[0] if ":" in digest else digest
        if algorithm != SHA256:
            raise OciRefInvalid(ref, f"digest algorithm {algorithm!r} is not supported: use sha256:<64 hex digits>")
        raise OciRefInvalid(ref, "a digest is sha256: followed by 64 lowercase hex digits")
    return digest


def _split_digest(ref: str, text: str) -> tuple[str, str | None]:
    name, at, digest = text.partition("@")
    return name, check_digest(ref, digest) if at else None


def _split_tag(ref: str, name: str) -> tuple[str, str | None]:
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon <= slash:
        return name, None
    tag = name[colon + 1 :]
    if not _TAG.match(tag):
        raise OciRefInvalid(ref, f"tag {tag!r} is not valid (letters, digits, '_', '.', '-'; at most 128)")
    return name[:colon], tag


def _check_repository(ref: str, repository: str) -> None:
    for part in repository.split("/"):
        if not _COMPONENT.match(part):
            raise OciRefInvalid(
                ref, f"repository component {part!r} is not valid (lowercase letters, digits and . _ - separators)"
            )


def check_registry(ref: str, registry: str) -> None:
    host, port = registry, ""
    if not registry.endswith("]") and ":" in registry:
        host, _, port = registry.rpartition(":")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise OciRefInvalid(ref, f"registry port {port!r} is not valid")
    if not (_HOST.match(host) or _IPV6.match(host)):
        raise OciRefInvalid(ref, f"registry {registry!r} is not a valid host name")


def parse_image_ref(text: str) -> ImageRef:
    """Parse an OCI reference (an ``oci://`` prefix is allowed); :class:`OciRefInvalid` names what is wrong."""
    if len(text) > MAX_REF_CHARS:
        raise OciRefInvalid(text[:60] + "…", f"a reference is at most {MAX_REF_CHARS} characters")
    body = text.removeprefix(OCI_SCHEME)
    if not body or "://" in body:
        raise OciRefInvalid(text, "not an OCI reference: expected [registry/]repository[:tag][@sha256:digest]")
    name, digest = _split_digest(text, body)
    name, tag = _split_tag(text, name)
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, rest
        check_registry(text, registry)
    else:
        registry, repository = DOCKER_HUB, name if slash else f"library/{name}"
    if not repository:
        raise OciRefInvalid(text, "the repository is missing")
    _check_repository(text, repository)
    return ImageRef(registry, repository, tag, digest)


def parse_lattice_ref(text: str) -> LatticeRef:
    """Parse ``lattice://repository[:tag][@sha256:hex]``."""
    if not is_lattice_ref(text):
        raise OciRefInvalid(text, f"a lattice registry reference starts with {LATTICE_SCHEME}")
    if len(text) > MAX_REF_CHARS:
        raise OciRefInvalid(text[:60] + "…", f"a reference is at most {MAX_REF_CHARS} characters")
    name, digest = _split_digest(text, text.removeprefix(LATTICE_SCHEME))
    repository, tag = _split_tag(text, name)
    if not repository:
        raise OciRefInvalid(text, "the repository is missing: lattice://NAME:TAG")
    _check_repository(text, repository)
    return LatticeRef(repository, tag, digest)


def parse_ref(text: str) -> ArtifactRef:
    return parse_lattice_ref(text) if is_lattice_ref(text) else parse_image_ref(text)


def check_latest(text: str, ref: ArtifactRef, allow_latest: bool) -> None:
    """Refuse ``:latest`` and untagged refs unless allowed, saying how to allow them."""
    if allow_latest or not ref.is_latest:
        return
    what = "the tag 'latest'" if ref.tag == LATEST else "no tag (which means 'latest')"
    raise OciLatestRefused(
        text,
        f"{what} is refused because it can change under a running lattice: use a version tag or @sha256: digest, "
        f"or allow it with {ALLOW_LATEST_ENV}=true (--allow-latest on the command line)",
    )
