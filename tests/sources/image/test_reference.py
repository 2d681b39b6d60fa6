"""``--image`` values: every transport form, tags that are OCI ref names, paths with ':'."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.errors import ImageError
from gate.sources.image.reference import (
    DockerArchiveReference,
    OciArchiveReference,
    OciLayoutReference,
    RegistryReference,
    parse_reference,
)

DIGEST = "sha256:" + "ab" * 32


def _layout(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return path


def _file(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def test_oci_forms(tmp_path: Path) -> None:
    layout = _layout(tmp_path / "layout")
    assert parse_reference(f"oci:{layout}") == OciLayoutReference(str(layout), text=f"oci:{layout}")
    ref = parse_reference(f"oci:{layout}:v1.2")
    assert isinstance(ref, OciLayoutReference) and (ref.path, ref.tag) == (str(layout), "v1.2")
    ref = parse_reference(f"oci:{layout}@{DIGEST}")
    assert isinstance(ref, OciLayoutReference)
    assert (ref.path, ref.tag, ref.digest) == (str(layout), None, DIGEST)


@pytest.mark.parametrize("tag", ["localhost/app:v1", "example.com/team/app:1.0", "a--b", "v1+b2"])
def test_oci_tag_is_an_oci_ref_name_with_colons_and_slashes(tmp_path: Path, tag: str) -> None:
    # buildah push IMG oci:DIR:localhost/app:v1 writes ref.name "localhost/app:v1".
    layout = _layout(tmp_path / "layout")
    ref = parse_reference(f"oci:{layout}:{tag}")
    assert isinstance(ref, OciLayoutReference) and (ref.path, ref.tag) == (str(layout), tag)


@pytest.mark.parametrize("tag", ["-v1", "v1/", "a b", "v1::", "é"])
def test_oci_bad_ref_name(tmp_path: Path, tag: str) -> None:
    layout = _layout(tmp_path / "layout")
    with pytest.raises(ImageError, match="bad tag"):
        parse_reference(f"oci:{layout}:{tag}")


def test_paths_with_colons(tmp_path: Path) -> None:
    base = tmp_path / "ci:job-42"
    layout = _layout(base / "lay:out")
    for value, tag in ((f"oci:{layout}", None), (f"oci:{layout}:v1", "v1"),
                       (f"oci:{layout}:reg.example:5000/app:v1", "reg.example:5000/app:v1")):
        ref = parse_reference(value)
        assert isinstance(ref, OciLayoutReference) and (ref.path, ref.tag) == (str(layout), tag)

    archive = _file(base / "img:1.tar")
    ref = parse_reference(f"oci-archive:{archive}:v1")
    assert isinstance(ref, OciArchiveReference) and (ref.path, ref.tag) == (str(archive), "v1")
    ref = parse_reference(f"oci-archive:{archive}")
    assert isinstance(ref, OciArchiveReference) and (ref.path, ref.tag) == (str(archive), None)

    ref = parse_reference(f"docker-archive:{archive}:example/app:2.0")
    assert isinstance(ref, DockerArchiveReference) and ref.path == str(archive)
    assert str(ref.repo_tag) == "docker.io/example/app:2.0"
    ref = parse_reference(f"docker-archive:{archive}:@3")
    assert isinstance(ref, DockerArchiveReference) and (ref.path, ref.index) == (str(archive), 3)
    ref = parse_reference(f"docker-archive:{archive}")
    assert isinstance(ref, DockerArchiveReference) and ref.repo_tag is None and ref.index is None


def test_longest_existing_layout_wins(tmp_path: Path) -> None:
    # "/x" is a plain directory, "/x:b/layout" is the layout: the tag is what follows it.
    (tmp_path / "x").mkdir()
    layout = _layout(tmp_path / "x:b" / "layout")
    ref = parse_reference(f"oci:{layout}:v1")
    assert isinstance(ref, OciLayoutReference) and (ref.path, ref.tag) == (str(layout), "v1")


def test_missing_paths_fall_back_to_the_grammar(tmp_path: Path) -> None:
    # Nothing exists: oci: ends the path at the last ':', docker-archive: at the first one,
    # so the error that follows names the file the user meant.
    ref = parse_reference(f"oci:{tmp_path}/none:v1")
    assert isinstance(ref, OciLayoutReference) and ref.path == f"{tmp_path}/none"
    ref = parse_reference(f"docker-archive:{tmp_path}/none.tar:example/app:1")
    assert isinstance(ref, DockerArchiveReference) and ref.path == f"{tmp_path}/none.tar"
    assert str(ref.repo_tag) == "docker.io/example/app:1"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("oci:", "no layout directory"),
        (f"oci:@{DIGEST}", "no layout directory"),
        ("oci-archive:", "no archive file"),
        ("docker-archive:", "no archive file"),
        ("docker-archive:img.tar:@x", "bad image index"),
        (f"docker-archive:img.tar:app@{DIGEST}", "picked by tag, not digest"),
        ("docker-archive:img.tar:App:1", "lowercase"),
        ("alpine:bad tag", "bad tag"),
        ("alpine@sha256:123", "bad digest"),
    ],
)
def test_malformed(value: str, message: str) -> None:
    with pytest.raises(ImageError, match=message):
        parse_reference(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("alpine", "docker.io/library/alpine:latest"),
        ("docker://alpine:3.19", "docker.io/library/alpine:3.19"),
        ("index.docker.io/team/app:1", "docker.io/team/app:1"),
        ("localhost:5000/app", "localhost:5000/app:latest"),
        (f"ghcr.io/org/app@{DIGEST}", f"ghcr.io/org/app@{DIGEST}"),
    ],
)
def test_registry_normalisation(value: str, expected: str) -> None:
    ref = parse_reference(value)
    assert isinstance(ref, RegistryReference) and str(ref) == expected
