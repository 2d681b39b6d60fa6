"""build_inventory on real images written with gate.testing.image_writer: real package
databases in layers, upgraded, deleted again, read through the layer walk and its cache."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from gate.analyzers.os_release import OsReleaseFileAnalyzer
from gate.analyzers.packages.file_analyzer import PackageFileAnalyzer
from gate.analyzers.packages.found import PackageDataError
from gate.analyzers.packages.inventory import build_inventory, count_by
from gate.layer_walk import WalkOptions, walk_layers
from gate.models import Inventory
from gate.sources.image import open_image
from gate.testing.image_writer import WHITEOUT, File, ImageSpec, write_oci_layout
from tests.analyzers.packages.helpers import PKGDB, txtar

UBUNTU_RELEASE = "grype-image-fixtures/grype/distro/testdata/os/ubuntu/etc/os-release"
UBUNTU_STATUS = "trivy/pkg/fanal/analyzer/pkg/dpkg/testdata/valid.txtar"
RPM_BDB = "go-rpmdb/pkg/testdata/libuuid/Packages"
FLASK = ("trivy/pkg/fanal/analyzer/language/python/pip/testdata/libs/common-dir/lib/"
         "site-packages/Flask-2.0.0.dist-info/METADATA")
NPM_HAPPY = "trivy/pkg/fanal/analyzer/language/nodejs/npm/testdata/happy/node_modules"
SITE = "/usr/local/lib/python3.10/site-packages"


def _inventory(tmp_path: Path, layers: list[dict[str, object]], *, cache: Path | None = None,
               jobs: int = 1) -> Inventory:
    layout = tmp_path / "layout"
    write_oci_layout(layout, ImageSpec(layers=layers))  # type: ignore[arg-type]
    image = open_image(f"oci:{layout}:latest")
    scans = walk_layers(image, [PackageFileAnalyzer(), OsReleaseFileAnalyzer()],
                        WalkOptions(cache_dir=cache, jobs=jobs))
    return build_inventory(scans, image.reference)


def _upgrade(status: bytes, name: str, new_version: bytes) -> bytes:
    blocks = status.split(b"\n\n")
    out = []
    for block in blocks:
        if block.startswith(b"Package: " + name.encode() + b"\n"):
            lines = [b"Version: " + new_version if line.startswith(b"Version: ") else line
                     for line in block.split(b"\n")]
            block = b"\n".join(lines)
        out.append(block)
    return b"\n\n".join(out)


@pytest.fixture
def data(shared_data: Path) -> dict[str, bytes]:
    base = shared_data / PKGDB
    npm = {f"/app/node_modules/{p.relative_to(base / NPM_HAPPY).as_posix()}": p.read_bytes()
           for p in sorted((base / NPM_HAPPY).rglob("package.json"))}
    jar = io.BytesIO()
    with zipfile.ZipFile(jar, "w") as archive:
        archive.writestr("META-INF/maven/org.yaml/snakeyaml/pom.properties",
                         "groupId=org.yaml\nartifactId=snakeyaml\nversion=1.33\n")
    return {
        "os-release": (base / UBUNTU_RELEASE).read_bytes(),
        "status": txtar(base / UBUNTU_STATUS)["var/lib/dpkg/status"],
        "rpm": (base / RPM_BDB).read_bytes(),
        "flask": (base / FLASK).read_bytes(),
        "jar": jar.getvalue(),
        **npm,
    }


def test_layers_upgrades_and_deletions(tmp_path: Path, data: dict[str, bytes]) -> None:
    status = data["status"]
    upgraded = _upgrade(status, "bash", b"4.4.18-2ubuntu1.3")
    npm = {k: v for k, v in data.items() if k.startswith("/app/")}
    layers: list[dict[str, object]] = [
        {"/usr/lib/os-release": data["os-release"], "/etc/os-release": data["os-release"],
         "/var/lib/dpkg/status": status, "/var/lib/rpm/Packages": data["rpm"]},
        {f"{SITE}/Flask-2.0.0.dist-info/METADATA": data["flask"], **npm,
         "/opt/app/lib/snakeyaml-1.33.jar": data["jar"]},
        {"/var/lib/dpkg/status": upgraded},
        {"/var/lib/rpm/Packages": WHITEOUT, "/var/lib/dpkg/status": upgraded + b"\n"},
    ]
    inventory = _inventory(tmp_path, layers)
    assert inventory.os is not None and inventory.os.id == "ubuntu"
    counts = count_by(inventory)
    assert counts == {"Ubuntu:20.04:LTS": 90, "PyPI": 1, "npm": 8, "Maven": 1}
    by_name = {(i.package.ecosystem, i.package.name): i for i in inventory.packages}
    bash = by_name[("Ubuntu:20.04:LTS", "bash")]
    # Upgraded in layer 2; layer 3 rewrote the status file without touching bash.
    assert (bash.package.version, bash.layer.index if bash.layer else None) == (
        "4.4.18-2ubuntu1.3", 2)
    fdisk = by_name[("Ubuntu:20.04:LTS", "fdisk")]
    assert fdisk.layer is not None and fdisk.layer.index == 0
    assert fdisk.package.source_name == "util-linux"
    assert fdisk.package.purl == (
        "pkg:deb/ubuntu/fdisk@2.31.1-0.4ubuntu3.1?arch=amd64&distro=ubuntu-20.04"
        "&upstream=util-linux")
    assert fdisk.found_in == "/var/lib/dpkg/status" and fdisk.kind == "os"
    # The rpm database was deleted by layer 3: none of its packages is in the image.
    assert not any(i.package.name == "libuuid" for i in inventory.packages)
    flask = by_name[("PyPI", "Flask")]
    assert flask.layer is not None and flask.layer.index == 1
    assert flask.package.purl == "pkg:pypi/flask@2.0.0" and flask.kind == "language"
    jar = by_name[("Maven", "org.yaml:snakeyaml")]
    assert jar.package.purl == "pkg:maven/org.yaml/snakeyaml@1.33"
    parser = by_name[("npm", "@babel/parser")]
    assert parser.package.purl is not None and parser.package.purl.startswith(
        "pkg:npm/%40babel/parser@")
    assert inventory.notes == ()


def test_cache_and_workers_give_the_same_inventory(tmp_path: Path,
                                                   data: dict[str, bytes]) -> None:
    layers: list[dict[str, object]] = [
        {"/etc/os-release": data["os-release"], "/var/lib/dpkg/status": data["status"]},
        {f"{SITE}/Flask-2.0.0.dist-info/METADATA": data["flask"]},
    ]
    cache = tmp_path / "cache"
    first = _inventory(tmp_path / "a", layers, cache=cache, jobs=2)
    second = _inventory(tmp_path / "a", layers, cache=cache, jobs=2)
    assert first == second and len(first.packages) == 91


def test_reinstalled_package_is_attributed_to_the_reinstall(tmp_path: Path,
                                                            data: dict[str, bytes]) -> None:
    status = data["status"]
    layers: list[dict[str, object]] = [
        {"/etc/os-release": data["os-release"], "/var/lib/dpkg/status": status},
        {"/var/lib/dpkg/status": _upgrade(status, "bash", b"5.0-1")},
        {"/var/lib/dpkg/status": status},  # downgraded back to the base layer's version
    ]
    inventory = _inventory(tmp_path, layers)
    bash = next(i for i in inventory.packages if i.package.name == "bash")
    assert bash.package.version == "4.4.18-2ubuntu1" and bash.layer is not None
    assert bash.layer.index == 2


def test_corrupt_os_database(tmp_path: Path, data: dict[str, bytes]) -> None:
    broken = data["rpm"][:8192]
    with pytest.raises(PackageDataError, match="/var/lib/rpm/Packages"):
        _inventory(tmp_path / "a", [{"/var/lib/rpm/Packages": broken}])
    # Replaced by a readable one in a later layer: the final state counts.
    inventory = _inventory(tmp_path / "b", [{"/var/lib/rpm/Packages": broken},
                                            {"/var/lib/rpm/Packages": data["rpm"]}])
    assert [i.package.name for i in inventory.packages] == ["libuuid"]
    (libuuid,) = inventory.packages
    # No os-release: the RPM family's default ecosystem, and a note saying OSV cannot tell.
    assert libuuid.package.ecosystem == "Red Hat"
    assert [n.kind for n in inventory.notes] == ["os-ecosystem-unknown"]
    deleted = _inventory(tmp_path / "c", [{"/var/lib/rpm/Packages": broken},
                                          {"/var/lib/rpm/Packages": WHITEOUT}])
    assert deleted.packages == ()


def test_unreadable_language_files_are_noted(tmp_path: Path, data: dict[str, bytes]) -> None:
    layers: list[dict[str, object]] = [{
        "/app/node_modules/left-pad/package.json": b"{not json",
        f"{SITE}/Flask-2.0.0.dist-info/METADATA": data["flask"],
        "/var/lib/dpkg/status": data["status"],
    }]
    inventory = _inventory(tmp_path, layers)
    assert [(n.kind, n.count) for n in inventory.notes] == [
        ("package-file-unreadable", 1), ("os-ecosystem-unknown", 1)]
    assert "left-pad/package.json" in inventory.notes[0].detail
    assert "Debian" in inventory.notes[1].detail
    assert {i.package.ecosystem for i in inventory.packages} == {"Debian", "PyPI"}


def test_large_file_is_noted(tmp_path: Path, data: dict[str, bytes]) -> None:
    layout = tmp_path / "layout"
    write_oci_layout(layout, ImageSpec(layers=[
        {f"{SITE}/Flask-2.0.0.dist-info/METADATA": File(data["flask"])}]))
    image = open_image(f"oci:{layout}:latest")
    scans = walk_layers(image, [PackageFileAnalyzer()],
                        WalkOptions(max_file_bytes=100, jobs=1))
    inventory = build_inventory(scans, image.reference)
    assert inventory.packages == ()
    assert [n.kind for n in inventory.notes] == ["package-file-too-large"]


def test_a_distribution_with_both_dist_info_and_egg_info_is_one_package(
    tmp_path: Path, data: dict[str, bytes]
) -> None:
    # Debian's python3-cryptography installs cryptography-38.0.4.dist-info and
    # cryptography.egg-info side by side in /usr/lib/python3/dist-packages.
    metadata = b"Metadata-Version: 2.1\nName: cryptography\nVersion: 38.0.4\n"
    pkg_info = b"Metadata-Version: 2.1\nName: Cryptography\nVersion: 38.0.4\n"
    debian = "/usr/lib/python3/dist-packages"
    layer = {
        f"{debian}/cryptography-38.0.4.dist-info/METADATA": File(metadata),
        f"{debian}/cryptography.egg-info/PKG-INFO": File(pkg_info),
        # a second install of the same version elsewhere is a second package
        f"{SITE}/cryptography-38.0.4.dist-info/METADATA": File(metadata),
    }
    inventory = _inventory(tmp_path, [layer])
    found = sorted(p.found_in for p in inventory.packages if p.package.ecosystem == "PyPI")
    assert found == [
        f"{debian}/cryptography-38.0.4.dist-info/METADATA",
        f"{SITE}/cryptography-38.0.4.dist-info/METADATA",
    ]
