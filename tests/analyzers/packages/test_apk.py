"""Alpine installed databases from real images and scanner fixtures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gate.analyzers.packages import apk
from gate.analyzers.packages.found import PackageDataError
from tests.analyzers.packages.helpers import PKGDB

DATABASES = [
    "trivy-image-extracts/alpine-310/lib/apk/db/installed",
    "trivy-image-extracts/alpine-311/lib/apk/db/installed",
    "osv-scalibr/extractor/filesystem/os/apk/testdata/installed",
    "syft/syft/pkg/cataloger/alpine/testdata/multiple-2/lib/apk/db/installed",
    "trivy/pkg/fanal/analyzer/pkg/apk/testdata/apk",
    "grype-image-fixtures/test/integration/testdata/image-alpine-match-coverage/lib/apk/db/installed",
]


@pytest.mark.parametrize("rel", DATABASES)
def test_every_record_is_a_package(shared_data: Path, rel: str) -> None:
    text = (shared_data / PKGDB / rel).read_text()
    # Independent reading: one P:/V: pair per blank-line separated record.
    expected = sorted(
        (re.search(r"^P:(.*)$", block, re.M).group(1),  # type: ignore[union-attr]
         re.search(r"^V:(.*)$", block, re.M).group(1))  # type: ignore[union-attr]
        for block in re.split(r"\n\s*\n", text)
        if re.search(r"^P:", block, re.M) and re.search(r"^V:", block, re.M)
    )
    found = apk.parse(apk.INSTALLED_PATH, text.encode())
    assert sorted((p.name, p.version) for p in found) == expected
    assert all(p.source_version == p.version for p in found)


def test_alpine_310_image(shared_data: Path) -> None:
    data = (shared_data / PKGDB / DATABASES[0]).read_bytes()
    found = {p.name: p for p in apk.parse(apk.INSTALLED_PATH, data)}
    assert len(found) == 14  # SOURCES.md: the Alpine 3.10.4 image's 14 packages
    crypto = found["libcrypto1.1"]
    assert (crypto.version, crypto.source_name, crypto.arch, crypto.licenses) == (
        "1.1.1d-r2", "openssl", "x86_64", ("OpenSSL",))
    assert found["busybox"].version == "1.30.1-r3"


def test_origin_missing_defaults_to_the_package(shared_data: Path) -> None:
    data = (shared_data / PKGDB / "osv-scalibr/extractor/filesystem/os/apk/testdata/no-origin"
            ).read_bytes()
    (pkg,) = apk.parse(apk.INSTALLED_PATH, data)
    assert (pkg.name, pkg.version, pkg.source_name) == ("pkgname", "1.2.3", "pkgname")


def test_invalid_database(shared_data: Path) -> None:
    invalid = (shared_data / PKGDB / "osv-scalibr/extractor/filesystem/os/apk/testdata/invalid"
               ).read_bytes()
    with pytest.raises(PackageDataError):
        apk.parse(apk.INSTALLED_PATH, invalid)
    # trivy's fixture has "invalidPackageWithoutAVersion": skipped, the others are kept.
    assert apk.parse(apk.INSTALLED_PATH, b"P:musl\nA:x86_64\n") == []
    empty = shared_data / PKGDB / "osv-scalibr/extractor/filesystem/os/apk/testdata/empty"
    assert apk.parse(apk.INSTALLED_PATH, empty.read_bytes()) == []
