"""read_sbom: CycloneDX JSON from gate itself, syft and grype; malformed SBOMs are InputErrors."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from gate.errors import InputError
from gate.sources.sbom import read_sbom

GRYPE = "expected-results/grype/grype"


def test_syft_cyclonedx_of_an_alpine_image(shared_data: Path, tmp_path: Path) -> None:
    # A real syft SBOM (CycloneDX 1.4), the predicate of grype's alpine attestation fixture.
    envelope = json.loads((shared_data / GRYPE / "pkg/testdata/alpine.cdx.att.json").read_text())
    statement = json.loads(base64.b64decode(envelope["payload"]))
    sbom = tmp_path / "alpine.cdx.json"
    sbom.write_text(json.dumps(statement["predicate"]))
    inventory = read_sbom(sbom)
    assert inventory.source == f"sbom:{sbom}"
    assert inventory.os is not None and (inventory.os.id, inventory.os.version_id) == (
        "alpine", "3.15.4")
    assert len(inventory.packages) == 14
    assert {i.package.ecosystem for i in inventory.packages} == {"Alpine:v3.15"}
    certs = next(i for i in inventory.packages if i.package.name == "ca-certificates-bundle")
    assert (certs.package.version, certs.package.source_name, certs.kind, certs.layer) == (
        "20211220-r0", "ca-certificates", "os", None)


def test_grype_cyclonedx_1_7(shared_data: Path) -> None:
    path = (shared_data / GRYPE
            / "presenter/cyclonedx/testdata/snapshot/TestCycloneDxPresenterImage.golden")
    inventory = read_sbom(path)
    (package,) = inventory.packages  # the other component has no purl
    assert (package.package.name, package.package.version, package.found_in) == (
        "package-2", "2.2.2", "/foo/bar/somefile-2.txt")
    assert package.licenses == ("Apache-2.0", "MIT")
    assert [(n.kind, n.count) for n in inventory.notes] == [("sbom-component-without-purl", 1)]


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", r"\.json: not valid JSON \(line 1, column 2: "),
    ('{"bomFormat": "SPDX"}', "not a CycloneDX JSON document"),
    ('{"bomFormat": "CycloneDX", "specVersion": "1.2", "version": 1}', "1.2 is not supported"),
    ('{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": {}}',
     "not valid CycloneDX 1.6"),
    ('{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, '
     '"components": [{"type": "library"}]}', "not valid CycloneDX 1.5"),
])
def test_malformed_sboms(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(InputError, match=message) as info:
        read_sbom(path)
    assert str(path) in str(info.value)


def test_missing_sbom(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_sbom(tmp_path / "absent.json")


def test_purl_types_and_versions(tmp_path: Path) -> None:
    doc = {
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "components": [
            {"type": "operating-system", "name": "rocky", "version": "9.3"},
            {"type": "library", "name": "openssl-libs", "version": "3.0.7-24.el9",
             "purl": "pkg:rpm/rocky/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1"
                     "&upstream=openssl-3.0.7-24.el9.src.rpm"},
            {"type": "library", "name": "net", "version": "v0.17.0",
             "purl": "pkg:golang/golang.org/x/net@v0.17.0",
             "components": [{"type": "library", "name": "core", "version": "7.23.0",
                             "purl": "pkg:npm/%40babel/core@7.23.0"}]},
            {"type": "library", "name": "snakeyaml", "version": "1.33",
             "purl": "pkg:maven/org.yaml/snakeyaml@1.33"},
            {"type": "library", "name": "x", "version": "1", "purl": "pkg:generic/x@1"},
        ],
    }
    path = tmp_path / "sbom.json"
    path.write_text(json.dumps(doc))
    inventory = read_sbom(path)
    found = {(i.package.ecosystem, i.package.name, i.package.version,
              i.package.source_name, i.package.source_version) for i in inventory.packages}
    assert found == {
        ("Rocky Linux:9", "openssl-libs", "1:3.0.7-24.el9", "openssl", "1:3.0.7-24.el9"),
        ("Go", "golang.org/x/net", "0.17.0", None, None),
        ("npm", "@babel/core", "7.23.0", None, None),
        ("Maven", "org.yaml:snakeyaml", "1.33", None, None),
    }
    assert [(n.kind, n.count) for n in inventory.notes] == [("sbom-purl-type-unknown", 1)]
