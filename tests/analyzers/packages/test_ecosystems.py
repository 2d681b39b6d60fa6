"""OSV ecosystems of distro packages from real os-release files, and package URLs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate.analyzers.os_release import parse_os_release
from gate.analyzers.packages.ecosystems import LANGUAGE_ECOSYSTEMS, distro_ecosystem, package_url
from gate.analyzers.packages.found import FoundPackage
from gate.models import OSInfo
from tests.analyzers.packages.helpers import PKGDB

GRYPE = "grype-image-fixtures/grype/distro/testdata/os"
TRIVY = "trivy/pkg/fanal/analyzer/os/release/testdata"
CASES = [
    (f"{GRYPE}/debian/usr/lib/os-release", "deb", "Debian:8"),
    (f"{GRYPE}/ubuntu/etc/os-release", "deb", "Ubuntu:20.04:LTS"),
    (f"{GRYPE}/alpine/etc/os-release", "apk", "Alpine:v3.11"),
    (f"{GRYPE}/wolfi/etc/os-release", "apk", "Wolfi"),
    (f"{GRYPE}/chainguard/etc/os-release", "apk", "Chainguard"),
    (f"{GRYPE}/rockylinux/etc/os-release", "rpm", "Rocky Linux:8"),
    (f"{GRYPE}/almalinux/etc/os-release", "rpm", "AlmaLinux:8"),
    (f"{GRYPE}/redhat/usr/lib/os-release", "rpm", "Red Hat"),
    (f"{GRYPE}/opensuse-leap/etc/os-release", "rpm", "openSUSE:Leap 15.2"),
    (f"{GRYPE}/sles/etc/os-release", "rpm", "SUSE:Linux Enterprise Server 15 SP2"),
    (f"{GRYPE}/photon/etc/os-release", "rpm", "Photon OS:2.0"),
    (f"{GRYPE}/minimos/etc/os-release", "apk", "MinimOS"),
    (f"{TRIVY}/mariner-2.0", "rpm", "Azure Linux:2"),
    (f"{TRIVY}/azurelinux-3.0", "rpm", "Azure Linux:3"),
    (f"{TRIVY}/rocky", "rpm", "Rocky Linux:9"),
    (f"{TRIVY}/alma", "rpm", "AlmaLinux:9"),
    (f"{TRIVY}/opensusetumbleweed", "rpm", "openSUSE:Tumbleweed"),
    (f"{TRIVY}/slemicro6.0", "rpm", "SUSE:Linux Micro 6.0"),
]


def _info(path: Path) -> OSInfo:
    values = parse_os_release(path.read_text())
    return OSInfo(id=values["ID"].lower(), version_id=values.get("VERSION_ID", ""),
                  pretty_name=values.get("PRETTY_NAME", ""),
                  version_codename=values.get("VERSION_CODENAME", ""))


@pytest.mark.parametrize(("rel", "family", "expected"), CASES)
def test_distro_ecosystems(shared_data: Path, rel: str, family: str, expected: str) -> None:
    assert distro_ecosystem(_info(shared_data / PKGDB / rel), family) == (expected, True)


def test_every_named_ecosystem_is_osv_s(shared_data: Path) -> None:
    known = set(json.loads((shared_data / "schemas/osv-schema/ecosystems.json").read_text()))
    for rel, family, _ in CASES:
        name, _ = distro_ecosystem(_info(shared_data / PKGDB / rel), family)
        assert name.split(":")[0] in known, name
    assert set(LANGUAGE_ECOSYSTEMS.values()) <= known


def test_unknown_and_missing_os(shared_data: Path) -> None:
    centos = _info(shared_data / PKGDB / f"{TRIVY}/centos")
    assert distro_ecosystem(centos, "rpm") == ("CentOS:7", False)
    assert distro_ecosystem(None, "deb") == ("Debian", False)
    sid = _info(shared_data / PKGDB / f"{GRYPE}/debian-sid/usr/lib/os-release")
    assert distro_ecosystem(sid, "deb") == ("Debian:trixie", True)
    # From an SBOM's distro qualifier there is no PRETTY_NAME: April of even years is LTS.
    assert distro_ecosystem(OSInfo(id="ubuntu", version_id="22.04"), "deb")[0] == (
        "Ubuntu:22.04:LTS")
    assert distro_ecosystem(OSInfo(id="ubuntu", version_id="23.10"), "deb")[0] == "Ubuntu:23.10"


def test_package_urls() -> None:
    rocky = OSInfo(id="rocky", version_id="9.3")
    openssl = FoundPackage(name="openssl-libs", version="1:3.0.7-24.el9", epoch=1,
                           arch="x86_64", source_name="openssl", source_version="1:3.0.7-24.el9")
    assert package_url("rpm-sqlite", openssl, rocky) == (
        "pkg:rpm/rocky/openssl-libs@3.0.7-24.el9?arch=x86_64&distro=rocky-9.3&epoch=1"
        "&upstream=openssl")
    alpine = OSInfo(id="alpine", version_id="3.19.1")
    ssl = FoundPackage(name="libssl3", version="3.1.4-r5", arch="x86_64", source_name="openssl")
    assert package_url("apk", ssl, alpine) == (
        "pkg:apk/alpine/libssl3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1&upstream=openssl")
    assert package_url("go", FoundPackage(name="golang.org/x/net", version="0.17.0"), None) == (
        "pkg:golang/golang.org/x/net@v0.17.0")
    assert package_url("go", FoundPackage(name="stdlib", version="1.21.5"), None) == (
        "pkg:golang/stdlib@1.21.5")
    assert package_url("composer", FoundPackage(name="symfony/http-kernel", version="6.4.1"),
                       None) == "pkg:composer/symfony/http-kernel@6.4.1"
    assert package_url("rust", FoundPackage(name="serde", version="1.0.188"), None) == (
        "pkg:cargo/serde@1.0.188")
    assert package_url("nuget", FoundPackage(name="Newtonsoft.Json", version="13.0.1"),
                       None) == "pkg:nuget/Newtonsoft.Json@13.0.1"
    assert package_url("rubygems", FoundPackage(name="rack", version="2.2.8"), None) == (
        "pkg:gem/rack@2.2.8")
