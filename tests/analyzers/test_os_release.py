"""OS detection from os-release and its fallbacks: real release files, real layered images."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gate.analyzers.os_release import OsReleaseFileAnalyzer, os_info, parse_os_release
from gate.layer_walk import WalkOptions, walk_layers
from gate.sources.image import open_image
from gate.testing.image_writer import WHITEOUT, ImageSpec, Symlink, write_oci_layout

DISTRO = "os-pkgdb/grype-image-fixtures/grype/distro/testdata/os"


def _detect(tmp_path: Path, layers: list[dict[str, Any]]) -> Any:
    write_oci_layout(tmp_path / "img", ImageSpec(layers=layers), tag="t")
    image = open_image(f"oci:{tmp_path / 'img'}:t")
    scans = walk_layers(image, [OsReleaseFileAnalyzer()], WalkOptions(jobs=1))
    return os_info(scans)


def test_parse_quotes_and_comments() -> None:
    text = 'NAME="Debian GNU/Linux"\n# comment\nVERSION_ID="12"\nID=debian\nPRETTY_NAME=\'x y\'\n'
    assert parse_os_release(text) == {
        "NAME": "Debian GNU/Linux", "VERSION_ID": "12", "ID": "debian", "PRETTY_NAME": "x y",
    }


@pytest.mark.parametrize(
    ("fixture", "os_id", "version"),
    [
        ("debian/usr/lib/os-release", "debian", "8"),
        ("redhat/usr/lib/os-release", "rhel", "7.3"),
        ("alpine-edge/etc/os-release", "alpine", None),
        ("opensuse-leap/etc/os-release", "opensuse-leap", "15.2"),
    ],
)
def test_real_os_release_files(
    shared_data: Path, tmp_path: Path, fixture: str, os_id: str, version: str | None
) -> None:
    text = (shared_data / DISTRO / fixture).read_bytes()
    info = _detect(tmp_path, [{"/" + fixture.split("/", 1)[1]: text}])
    assert info is not None
    assert info.id == os_id
    if version is not None:
        assert info.version_id == version


def test_symlink_to_usr_lib_as_on_debian(tmp_path: Path) -> None:
    info = _detect(tmp_path, [{
        "/usr/lib/os-release": b'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n',
        "/etc/os-release": Symlink("../usr/lib/os-release"),
    }])
    assert info is not None
    assert (info.id, info.version_id, info.found_in) == (
        "debian", "12", "/usr/lib/os-release")
    assert info.layer.index == 0


def test_later_layer_replaces_and_deletes(tmp_path: Path) -> None:
    info = _detect(tmp_path, [
        {"/etc/os-release": b"ID=debian\nVERSION_ID=11\n"},
        {"/etc/os-release": b"ID=ubuntu\nVERSION_ID=22.04\n"},
    ])
    assert (info.id, info.version_id, info.layer.index) == ("ubuntu", "22.04", 1)
    gone = _detect(tmp_path / "2", [
        {"/etc/os-release": b"ID=debian\nVERSION_ID=11\n", "/etc/alpine-release": b"3.19.1\n"},
        {"/etc/os-release": WHITEOUT},
    ])
    assert (gone.id, gone.version_id) == ("alpine", "3.19.1")


def test_fallbacks_and_scratch(tmp_path: Path) -> None:
    rh = _detect(tmp_path, [{"/etc/redhat-release": b"CentOS Linux release 7.9.2009 (Core)\n"}])
    assert (rh.id, rh.version_id) == ("centos", "7")
    sid = _detect(tmp_path / "s", [{"/etc/debian_version": b"trixie/sid\n"}])
    assert (sid.id, sid.version_id) == ("debian", "")
    assert _detect(tmp_path / "x", [{"/app/main": b"\x7fELF"}]) is None
