"""RPM databases in all three backends, decoded in pure Python and checked against rpm itself
(Debian's rpm reads the SQLite and Berkeley DB backends) or the source project's expectation."""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path

import pytest

from gate.analyzers.packages import rpm_bdb, rpm_header, rpm_ndb, rpm_sqlite
from gate.analyzers.packages.found import PackageDataError
from tests.analyzers.packages.helpers import PKGDB, rpm_query

BDB = [
    "go-rpmdb/pkg/testdata/libuuid/Packages",
    "syft/syft/pkg/cataloger/redhat/testdata/Packages",
    "osv-scalibr/extractor/filesystem/os/rpm/testdata/Packages_epoch",
    "grype-image-fixtures/test/integration/testdata/image-centos-match-coverage/var/lib/rpm/Packages",
    "grype-image-fixtures/test/integration/testdata/image-sles-match-coverage/var/lib/rpm/Packages",
]
SQLITE = "go-rpmdb/pkg/testdata/cbl-mariner-2.0/rpmdb.sqlite"
NDB = "go-rpmdb/pkg/testdata/sle15-bci/Packages.db"


def _rows(packages: list[rpm_header.FoundPackage]) -> list[tuple[str, str, str]]:
    return sorted((p.name, p.version, p.arch or "") for p in packages)


@pytest.mark.parametrize("rel", BDB)
def test_berkeley_db_matches_rpm(shared_data: Path, tmp_path: Path, rel: str) -> None:
    path = shared_data / PKGDB / rel
    ours = rpm_bdb.parse(rel, path.read_bytes())
    assert _rows(ours) == rpm_query(path, "Packages", "bdb_ro", tmp_path)


def test_sqlite_matches_rpm(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / PKGDB / SQLITE
    ours = rpm_sqlite.parse(SQLITE, path.read_bytes())
    assert len(ours) == 129
    assert _rows(ours) == rpm_query(path, "rpmdb.sqlite", "sqlite", tmp_path)
    # go-rpmdb's testdata/cbl-mariner-2.0/curl.json
    curl = next(p for p in ours if p.name == "curl")
    assert (curl.version, curl.arch, curl.source_name, curl.licenses) == (
        "7.76.0-6.cm2", "x86_64", "curl", ("MIT",))


def test_ndb_matches_go_rpmdb_expectation(shared_data: Path) -> None:
    # Debian's rpm has no NDB backend. go-rpmdb lists this image (bci-minimal:15.3) with
    # `rpm -qa` in its testdata/sle15-bci/packages.csv; the stored database is an earlier
    # build of the same image (skelcd-EULA-bci came later, the release numbers moved on), so
    # names, order and source packages are compared, not releases.
    expected_names = [
        "system-user-root", "filesystem", "glibc", "libpcre1", "libgmp10", "libgcc_s1",
        "libcap2", "libstdc++6", "libncurses6", "terminfo-base", "libattr1", "libselinux1",
        "libreadline7", "bash", "libacl1", "coreutils", "sles-release",
        "ca-certificates-mozilla-prebuilt", "libgpg-error0", "libpopt0", "file-magic",
        "libbz2-1", "liblua5_3-5", "liblzma5", "libz1", "libzstd1", "libmagic1", "libdw1",
        "libebl-plugins", "libelf1", "libcrypt1", "perl-base", "libgcrypt20",
        "rpm-config-SUSE", "rpm-ndb",
    ]
    found = rpm_ndb.parse(NDB, (shared_data / PKGDB / NDB).read_bytes())
    assert sorted(p.name for p in found) == sorted(expected_names)
    by_name = {p.name: p for p in found}
    assert by_name["libreadline7"].source_name == "bash"
    assert by_name["libstdc++6"].source_name.startswith("gcc")  # type: ignore[union-attr]
    assert by_name["libz1"].source_name == "zlib"
    assert by_name["bash"].version == "4.4-19.6.1"
    assert all(p.licenses for p in found)


def test_epoch_in_version_and_source(shared_data: Path) -> None:
    # osv-scalibr's rpm extractor test: hello, epoch 1, 0.0.1-rls, GPL.
    data = (shared_data / PKGDB / BDB[2]).read_bytes()
    (hello,) = rpm_bdb.parse(BDB[2], data)
    assert (hello.name, hello.epoch, hello.version, hello.source_version, hello.licenses) == (
        "hello", 1, "1:0.0.1-rls", "1:0.0.1-rls", ("GPL",))


def test_syft_expectation(shared_data: Path) -> None:
    (dive,) = rpm_bdb.parse(BDB[1], (shared_data / PKGDB / BDB[1]).read_bytes())
    assert (dive.name, dive.version, dive.source_name, dive.licenses) == (
        "dive", "0.9.2-1", "dive", ("MIT",))


def test_source_rpm_names() -> None:
    assert rpm_header.split_source_rpm("glibc-2.31-150300.41.1.src.rpm") == (
        "glibc", "2.31-150300.41.1")
    assert rpm_header.split_source_rpm("gcc12-12.2.1+git416-150000.1.5.1.src.rpm") == (
        "gcc12", "12.2.1+git416-150000.1.5.1")
    assert rpm_header.split_source_rpm("(none)") is None


def test_corrupt_databases(shared_data: Path, tmp_path: Path) -> None:
    bdb = (shared_data / PKGDB / BDB[0]).read_bytes()
    with pytest.raises(PackageDataError, match="truncated"):
        rpm_bdb.parse("Packages", bdb[: len(bdb) // 2])
    with pytest.raises(PackageDataError):
        rpm_bdb.parse("Packages", b"\0" * 4096)
    invalid = (shared_data / PKGDB / "osv-scalibr/extractor/filesystem/os/rpm/testdata/invalid"
               ).read_bytes()
    for parser in (rpm_bdb.parse, rpm_ndb.parse, rpm_sqlite.parse):
        with pytest.raises(PackageDataError):
            parser("db", invalid)
    ndb = (shared_data / PKGDB / NDB).read_bytes()
    with pytest.raises(PackageDataError, match="truncated"):
        rpm_ndb.parse("Packages.db", ndb[:6000])
    sqlite_data = (shared_data / PKGDB / SQLITE).read_bytes()
    with pytest.raises(PackageDataError):
        rpm_sqlite.parse("rpmdb.sqlite", sqlite_data[:8192])
    # An SQLite file without rpm's Packages table.
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE t (x)")
    with pytest.raises(PackageDataError, match="Packages"):
        rpm_sqlite.parse("rpmdb.sqlite", other.read_bytes())


def test_header_bounds_are_checked() -> None:
    # il=1, dl=4, a NAME entry pointing past the 4-byte data store.
    blob = struct.pack(">II", 1, 4) + struct.pack(">iIII", 1000, 6, 100, 1) + b"abc\0"
    with pytest.raises(PackageDataError, match="outside"):
        rpm_header.header_tags(blob)
    with pytest.raises(PackageDataError, match="implausible"):
        rpm_header.header_tags(struct.pack(">II", 0x7FFFFFFF, 0))
    name_only = struct.pack(">II", 1, 4) + struct.pack(">iIII", 1000, 6, 0, 1) + b"abc\0"
    with pytest.raises(PackageDataError, match="name or version"):
        rpm_header.package_from_blob(name_only)
