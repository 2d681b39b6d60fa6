"""gate sbom: CycloneDX 1.6 valid against the schema cyclonedx-python-lib bundles, read back
by read_sbom to the same inventory; the CLI writes it for a real OCI image."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from gate.analyzers.os_release import OsReleaseFileAnalyzer
from gate.analyzers.packages.file_analyzer import PackageFileAnalyzer
from gate.analyzers.packages.inventory import build_inventory
from gate.layer_walk import WalkOptions, walk_layers
from gate.models import Inventory
from gate.reporters.cyclonedx import render_sbom
from gate.sources.image import open_image
from gate.sources.sbom import read_sbom
from gate.testing.image_writer import ImageSpec, write_oci_layout
from tests.analyzers.packages.helpers import PKGDB

ALPINE = "trivy-image-extracts/alpine-311"
FLASK = ("trivy/pkg/fanal/analyzer/language/python/pip/testdata/libs/common-dir/lib/"
         "site-packages/Flask-2.0.0.dist-info/METADATA")
RPM = "go-rpmdb/pkg/testdata/cbl-mariner-2.0/rpmdb.sqlite"


@pytest.fixture
def image(shared_data: Path, tmp_path: Path) -> str:
    base = shared_data / PKGDB
    layout = tmp_path / "layout"
    write_oci_layout(layout, ImageSpec(layers=[
        {"/etc/os-release": (base / ALPINE / "etc/os-release").read_bytes(),
         "/lib/apk/db/installed": (base / ALPINE / "lib/apk/db/installed").read_bytes()},
        {"/usr/lib/python3.8/site-packages/Flask-2.0.0.dist-info/METADATA":
            (base / FLASK).read_bytes(),
         "/var/lib/rpm/rpmdb.sqlite": (base / RPM).read_bytes()},
    ]))
    return f"oci:{layout}:latest"


def _inventory(ref: str) -> tuple[Inventory, object]:
    opened = open_image(ref)
    scans = walk_layers(opened, [PackageFileAnalyzer(), OsReleaseFileAnalyzer()],
                        WalkOptions(jobs=1))
    return build_inventory(scans, opened.reference), opened.summary()


def _facts(inventory: Inventory) -> set[tuple[object, ...]]:
    # Licences compare case-blind: the SBOM writes SPDX ids in their canonical case (Zlib).
    return {(i.package.name, i.package.version, i.package.ecosystem, i.package.purl,
             i.package.source_name, i.package.source_version, i.found_in, i.kind,
             tuple(x.lower() for x in i.licenses)) for i in inventory.packages}


def test_sbom_is_valid_cyclonedx_1_6_and_reads_back(image: str, tmp_path: Path) -> None:
    inventory, summary = _inventory(image)
    text = render_sbom(inventory, summary)  # type: ignore[arg-type]
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert error is None, error
    doc = json.loads(text)
    assert doc["specVersion"] == "1.6"
    assert doc["metadata"]["component"]["type"] == "container"
    assert doc["metadata"]["component"]["version"].startswith("sha256:")
    os_component = next(c for c in doc["components"] if c["type"] == "operating-system")
    assert (os_component["name"], os_component["version"]) == ("alpine", "3.11.5")
    libraries = [c for c in doc["components"] if c["type"] == "library"]
    assert len(libraries) == len(inventory.packages) == 14 + 1 + 129
    musl = next(c for c in libraries if c["name"] == "musl")
    props = {p["name"]: p["value"] for p in musl["properties"]}
    assert props["gate:found_in"] == "/lib/apk/db/installed"
    assert props["gate:layer_index"] == "0" and props["gate:layer_digest"].startswith("sha256:")
    assert props["gate:ecosystem"] == "Alpine:v3.11"
    assert musl["purl"].startswith("pkg:apk/alpine/musl@")
    path = tmp_path / "sbom.json"
    path.write_text(text)
    assert _facts(read_sbom(path)) == _facts(inventory)


def test_gate_sbom_command(image: str, tmp_path: Path) -> None:
    out = tmp_path / "out" / "sbom.cdx.json"
    result = subprocess.run(
        [sys.executable, "-m", "gate", "sbom", "--image", image, "--output", str(out),
         "--no-cache"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "144 packages" in result.stderr
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(out.read_text()) is None
    to_stdout = subprocess.run([sys.executable, "-m", "gate", "sbom", "--image", image,
                                "--no-cache"], capture_output=True, text=True, check=False)
    assert json.loads(to_stdout.stdout)["bomFormat"] == "CycloneDX"


def test_gate_sbom_errors(tmp_path: Path) -> None:
    missing = subprocess.run([sys.executable, "-m", "gate", "sbom", "--image",
                              f"oci:{tmp_path}/nothing:latest"], capture_output=True,
                             text=True, check=False)
    assert missing.returncode == 2
    assert missing.stderr.count("\n") == 1 and missing.stderr.startswith("gate: error:")
    no_image = subprocess.run([sys.executable, "-m", "gate", "sbom"], capture_output=True,
                              text=True, check=False, env={"PATH": "/usr/bin:/bin",
                                                           "PYTHONPATH": str(Path.cwd())})
    assert no_image.returncode == 2 and "needs --image" in no_image.stderr


def test_gate_sbom_unwritable_output(image: str, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = subprocess.run(
        [sys.executable, "-m", "gate", "sbom", "--image", image, "--no-cache", "--output",
         str(blocker / "sbom.json")], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    target = blocker / "sbom.json"
    assert result.stderr == f"gate: error: cannot write SBOM {target}: Not a directory\n"


def test_gate_sbom_platform(shared_data: Path, tmp_path: Path) -> None:
    from gate.testing.image_writer import build_index

    base = shared_data / PKGDB
    amd64 = ImageSpec(layers=[{"/lib/apk/db/installed":
                               (base / ALPINE / "lib/apk/db/installed").read_bytes()}])
    arm64 = ImageSpec(layers=[{"/var/lib/rpm/rpmdb.sqlite": (base / RPM).read_bytes()}])
    layout = tmp_path / "multi"
    write_oci_layout(layout, build_index({"linux/amd64": amd64, "linux/arm64": arm64}))
    for platform, count in (("linux/amd64", 14), ("linux/arm64", 129)):
        out = tmp_path / f"{platform.replace('/', '-')}.json"
        result = subprocess.run(
            [sys.executable, "-m", "gate", "sbom", "--image", f"oci:{layout}:latest",
             "--platform", platform, "--no-cache", "-o", str(out)],
            capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
        doc = json.loads(out.read_text())
        assert len(doc["components"]) == count
        props = {p["name"]: p["value"] for p in doc["metadata"]["component"]["properties"]}
        assert props["gate:platform"] == platform
