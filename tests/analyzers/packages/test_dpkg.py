"""dpkg status and distroless status.d, checked against dpkg-query on the same files."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.analyzers.packages import dpkg
from gate.analyzers.packages.found import PackageDataError
from tests.analyzers.packages.helpers import PKGDB, dpkg_query, txtar

STATUS_FILES = [
    "trivy/pkg/fanal/analyzer/pkg/dpkg/testdata/valid.txtar",
    "grype-image-fixtures/test/integration/testdata/image-debian-match-coverage/var/lib/dpkg/status",
    "osv-scalibr/extractor/filesystem/os/dpkg/testdata/dpkg/valid",
    "osv-scalibr/extractor/filesystem/os/dpkg/testdata/dpkg/statusfield",
    "osv-scalibr/extractor/filesystem/os/dpkg/testdata/dpkg/transitional",
]


def _status(shared_data: Path, rel: str) -> bytes:
    path = shared_data / PKGDB / rel
    if rel.endswith(".txtar"):
        return txtar(path)["var/lib/dpkg/status"]
    return path.read_bytes()


@pytest.mark.parametrize("rel", STATUS_FILES)
def test_status_files_match_dpkg_query(shared_data: Path, tmp_path: Path, rel: str) -> None:
    data = _status(shared_data, rel)
    ours = sorted(
        (p.name, p.version, p.source_name or "", p.source_version or "", p.arch or "")
        for p in dpkg.parse(dpkg.STATUS_PATH, data)
    )
    expected = dpkg_query(data, tmp_path)
    assert expected, "dpkg-query listed nothing: the fixture is not a status file"
    assert ours == expected


def test_valid_ubuntu_status_counts_and_sources(shared_data: Path) -> None:
    data = _status(shared_data, STATUS_FILES[0])
    packages = {p.name: p for p in dpkg.parse(dpkg.STATUS_PATH, data)}
    # 91 paragraphs, one of them removed with its conffiles left ("deinstall ok config-files").
    assert len(packages) == 90
    assert packages["fdisk"].source_name == "util-linux"
    assert packages["fdisk"].version == "2.31.1-0.4ubuntu3.1"
    assert packages["libpam-runtime"].source_name == "pam"


def test_broken_paragraphs_are_skipped_like_trivy_and_syft_expect(shared_data: Path) -> None:
    # trivy's corrupted fixture: the paragraph without Version "should get thrown out".
    corrupted = _status(shared_data, "trivy/pkg/fanal/analyzer/pkg/dpkg/testdata/corrupsed.txtar")
    names = [p.name for p in dpkg.parse(dpkg.STATUS_PATH, corrupted)]
    assert "brokenPackageWithNoVersionThatShouldGetThrownOut" not in names
    assert names == ["libpam-runtime", "libpam-modules-bin", "makedev", "libgcc1"]
    # syft's image-dpkg status starts with an empty "Package:" paragraph (dpkg refuses the
    # file); syft expects the one real package.
    syft_status = _status(
        shared_data, "syft/syft/pkg/cataloger/debian/testdata/image-dpkg/var/lib/dpkg/status")
    (pkg,) = dpkg.parse(dpkg.STATUS_PATH, syft_status)
    assert (pkg.name, pkg.version, pkg.source_name) == ("libpam-runtime", "1.1.8-3.6", "pam")


def test_source_with_its_own_version(shared_data: Path) -> None:
    text = (shared_data / PKGDB / "syft/syft/pkg/cataloger/debian/testdata/var/lib/dpkg/status.d"
            / "coreutils-relationships").read_bytes()
    found = {p.name: p for p in dpkg.parse(dpkg.STATUS_DIR + "coreutils", text)}
    assert found["libacl1"].source_name == "acl"
    assert found["libacl1"].source_version == "2.3.1-3"
    assert found["coreutils"].source_name == "coreutils"
    synthetic = b"Package: libssl3\nVersion: 3.0.11-1~deb12u2\nSource: openssl (3.0.11-1~deb12u1)\n"
    (pkg,) = dpkg.parse(dpkg.STATUS_DIR + "libssl3", synthetic)
    assert (pkg.source_name, pkg.source_version) == ("openssl", "3.0.11-1~deb12u1")


def test_distroless_status_d(shared_data: Path) -> None:
    base = shared_data / PKGDB / "syft/syft/pkg/cataloger/debian/testdata/image-distroless-deb"
    folder = base / "var/lib/dpkg/status.d"
    wanted = [f for f in sorted(folder.iterdir()) if dpkg.wants(dpkg.STATUS_DIR + f.name)]
    assert [f.name for f in wanted] == ["libsqlite3-0"]  # .md5sums and .preinst are not
    (pkg,) = dpkg.parse(dpkg.STATUS_DIR + "libsqlite3-0", wanted[0].read_bytes())
    assert (pkg.name, pkg.version, pkg.source_name) == ("libsqlite3-0", "3.34.1-3", "sqlite3")


def test_not_a_status_file(shared_data: Path) -> None:
    invalid = (shared_data / PKGDB / "osv-scalibr/extractor/filesystem/os/dpkg/testdata/dpkg"
               / "invalid").read_bytes()
    with pytest.raises(PackageDataError):
        dpkg.parse(dpkg.STATUS_PATH, invalid)
    # In status.d a file without a Package paragraph is not a package file: nothing, no error.
    corrupt = (shared_data / PKGDB / "syft/syft/pkg/cataloger/debian/testdata/var/lib/dpkg"
               / "status.d/corrupt").read_bytes()
    assert dpkg.parse(dpkg.STATUS_DIR + "corrupt", corrupt) == []
    assert dpkg.parse(dpkg.STATUS_PATH, b"Package: x\nStatus: install ok installed\n") == []
    assert dpkg.parse(dpkg.STATUS_PATH, b"") == []


def test_wants() -> None:
    assert dpkg.wants("/var/lib/dpkg/status")
    assert dpkg.wants("/var/lib/dpkg/status.d/base-files")
    assert dpkg.wants("/var/lib/dpkg/status.d/python3.11-minimal")
    assert not dpkg.wants("/var/lib/dpkg/status.d/base-files.md5sums")
    assert not dpkg.wants("/var/lib/dpkg/status-old")
    assert not dpkg.wants("/srv/var/lib/dpkg/status")
