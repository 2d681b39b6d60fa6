"""End to end on a real Debian image: gate's dpkg inventory equals ``dpkg-query`` on the same
root filesystem, a package installed by ``dpkg -i`` in a later layer is attributed to that
layer, and ``gate sbom`` writes it through the CLI from a ``docker save`` archive."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gate.sources.sbom import read_sbom
from tests.analyzers.packages.helpers import PKGDB
from tests.integration.debian import build_layered_image, debian_rootfs, run

pytestmark = pytest.mark.slow
FLASK = ("trivy/pkg/fanal/analyzer/language/python/pip/testdata/libs/common-dir/lib/"
         "site-packages/Flask-2.0.0.dist-info/METADATA")


def _dpkg_query(root: Path) -> set[tuple[str, str, str, str]]:
    out = subprocess.run(
        ["dpkg-query", "-W", f"--admindir={root}/var/lib/dpkg", "-f",
         "${Package}\\t${Version}\\t${source:Package}\\t${source:Version}\\t${db:Status-Abbrev}\\n"],
        check=True, capture_output=True, text=True).stdout
    return {tuple(line.split("\t")[:4]) for line in out.splitlines()  # type: ignore[misc]
            if line.split("\t")[4][1:2] not in ("c", "n")}


@pytest.fixture(scope="module")
def debian_image(tmp_path_factory: pytest.TempPathFactory, shared_data: Path
                 ) -> tuple[Path, Path]:
    rootfs = debian_rootfs()
    work = tmp_path_factory.mktemp("debian-inventory")
    debs = work / "debs"
    debs.mkdir()
    # A real package, installed into the image by dpkg itself in a second layer.
    run("apt-get", "download", "hello", cwd=debs)
    (deb,) = debs.glob("hello_*.deb")
    final_root = work / "final-rootfs"

    def install_hello(root: Path) -> None:
        run("dpkg", f"--root={root}", "-i", deb)

    def add_python_package(root: Path) -> None:
        target = root / "usr/local/lib/python3.11/dist-packages/Flask-2.0.0.dist-info"
        target.mkdir(parents=True)
        (target / "METADATA").write_bytes((shared_data / PKGDB / FLASK).read_bytes())
        shutil.copytree(root, final_root, symlinks=True)

    layout = work / "layout"
    steps = [("RUN dpkg -i hello.deb", install_hello),
             ("COPY dist-packages /usr/local/lib/", add_python_package)]
    build_layered_image(layout, rootfs, steps)
    archive = work / "debian.tar"
    run("skopeo", "copy", f"oci:{layout}:app", f"docker-archive:{archive}:example/inv:latest")
    return archive, final_root


def test_gate_sbom_equals_dpkg_query(debian_image: tuple[Path, Path], tmp_path: Path) -> None:
    archive, final_root = debian_image
    sbom = tmp_path / "sbom.json"
    proc = subprocess.run(
        [sys.executable, "-m", "gate", "sbom", "--image", f"docker-archive:{archive}",
         "--output", str(sbom), "--no-cache"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(sbom.read_text())
    os_component = next(c for c in doc["components"] if c["type"] == "operating-system")
    assert (os_component["name"], os_component["version"]) == ("debian", "12")

    inventory = read_sbom(sbom)
    debian = {(i.package.name, i.package.version, i.package.source_name or "",
               i.package.source_version or "")
              for i in inventory.packages if i.package.ecosystem == "Debian:12"}
    expected = _dpkg_query(final_root)
    assert len(expected) >= 80 and ("hello", "2.10-3", "hello", "2.10-3") in expected
    assert debian == expected
    assert [i.package.name for i in inventory.packages if i.kind == "language"] == ["Flask"]

    layers: dict[str, str] = {}
    for component in doc["components"]:
        props = {p["name"]: p["value"] for p in component.get("properties", ())}
        if "gate:layer_index" in props:
            layers[component["name"]] = props["gate:layer_index"]
    # dpkg rewrote the status file in layer 1, yet only hello came with it.
    assert layers["hello"] == "1"
    assert layers["Flask"] == "2"
    assert {name for name, index in layers.items() if index == "0"} == {
        name for name, *_ in expected} - {"hello"}
