"""OCI and lattice references: the grammar, wash's defaults, and the latest policy."""

from __future__ import annotations

import pytest

from lattice.oci import ImageRef, LatticeRef, OciLatestRefused, OciRefInvalid, parse_ref
from lattice.oci.refs import check_latest, parse_image_ref, parse_lattice_ref

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ghcr.io/acme/echo:0.2.0", ImageRef("ghcr.io", "acme/echo", "0.2.0")),
        ("localhost/echo:1", ImageRef("localhost", "echo", "1")),
        ("127.0.0.1:5000/a/b/c:v1.2_x", ImageRef("127.0.0.1:5000", "a/b/c", "v1.2_x")),
        ("echo:1.0", ImageRef("docker.io", "library/echo", "1.0")),
        ("acme/echo:1.0", ImageRef("docker.io", "acme/echo", "1.0")),
        (f"ghcr.io/acme/echo@{DIGEST}", ImageRef("ghcr.io", "acme/echo", None, DIGEST)),
        (f"ghcr.io/acme/echo:1@{DIGEST}", ImageRef("ghcr.io", "acme/echo", "1", DIGEST)),
        ("oci://ghcr.io/acme/echo:1", ImageRef("ghcr.io", "acme/echo", "1")),
        ("reg.example.com:8443/x:1", ImageRef("reg.example.com:8443", "x", "1")),
    ],
)
def test_parse_image_refs(text: str, expected: ImageRef) -> None:
    assert parse_image_ref(text) == expected


def test_docker_hub_api_host_and_reference() -> None:
    ref = parse_image_ref("acme/echo:1")
    assert (ref.api_host, ref.reference, str(ref)) == ("registry-1.docker.io", "1", "docker.io/acme/echo:1")
    pinned = parse_image_ref(f"ghcr.io/a/b:1@{DIGEST}")
    assert pinned.reference == DIGEST


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("ghcr.io/Acme/echo:1", "not valid"),
        ("ghcr.io/acme/echo:bad tag", "tag"),
        (f"ghcr.io/acme/echo@sha512:{'a' * 128}", "not supported"),
        ("ghcr.io/acme/echo@sha256:abc", "64 lowercase hex"),
        ("http://ghcr.io/acme/echo:1", "not an OCI reference"),
        ("host:99999/a:1", "port"),
        ("", "not an OCI reference"),
        ("x" * 600, "at most"),
    ],
)
def test_bad_refs_name_what_is_wrong(text: str, detail: str) -> None:
    with pytest.raises(OciRefInvalid, match=detail):
        parse_image_ref(text)


def test_lattice_refs() -> None:
    assert parse_ref("lattice://echo:0.2.0") == LatticeRef("echo", "0.2.0")
    assert parse_ref(f"lattice://team/echo@{DIGEST}") == LatticeRef("team/echo", None, DIGEST)
    assert str(parse_lattice_ref("lattice://a/b:1")) == "lattice://a/b:1"
    with pytest.raises(OciRefInvalid, match="missing"):
        parse_lattice_ref("lattice://:1")


@pytest.mark.parametrize("text", ["ghcr.io/a/b:latest", "ghcr.io/a/b", "lattice://b", "lattice://b:latest"])
def test_latest_is_refused_unless_allowed(text: str) -> None:
    ref = parse_ref(text)
    with pytest.raises(OciLatestRefused, match="WASMCLOUD_OCI_ALLOW_LATEST"):
        check_latest(text, ref, allow_latest=False)
    check_latest(text, ref, allow_latest=True)
    check_latest(text, parse_ref(f"{text.split(':latest')[0]}@{DIGEST}"), allow_latest=False)
