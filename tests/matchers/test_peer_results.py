"""Trivy and Grype JSON results read into findings, and merged with gate's own matches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate.analyzers.interface import ScanTarget
from gate.analyzers.vulnerabilities import VulnerabilitiesAnalyzer
from gate.errors import InputError
from gate.matchers.database import DatabaseChoice
from gate.matchers.peer_results import read_grype, read_trivy
from gate.models import InstalledPackage, PackageRef

from .helpers import inventory

DATA = Path(__file__).parent / "data"
GRYPE_GOLDEN = Path("expected-results/grype/grype/presenter/json/testdata/snapshot")


def test_trivy_report(shared_data: Path) -> None:
    hits = read_trivy(DATA / "trivy-alpine-310.json")
    assert len(hits) == 4
    first = hits[0]
    assert first.package.name == "libcrypto1.1" and first.package.version == "1.1.1c-r0"
    assert first.package.ecosystem == "Alpine:v3.10"
    assert first.package.purl is not None and first.package.purl.startswith("pkg:apk/alpine/")
    assert first.ids == ("CVE-2019-1549",) and first.fixed == ("1.1.1d-r0",)
    assert first.severity.value == "medium" and first.cvss_score == 5.3
    assert first.layer is not None and first.layer.index == 0  # DiffIDs[0]


def test_trivy_results_become_findings_without_an_inventory() -> None:
    target = ScanTarget(options={"trivy_json": (DATA / "trivy-alpine-310.json",)})
    result = VulnerabilitiesAnalyzer().run(target)
    assert [(f.package.name, f.vulnerability_id) for f in result.findings if f.package] == [
        ("libcrypto1.1", "CVE-2019-1549"),
        ("libcrypto1.1", "CVE-2019-1551"),
        ("libssl1.1", "CVE-2019-1549"),
        ("libssl1.1", "CVE-2019-1551"),
    ]
    assert result.findings[0].properties["sources"] == ("trivy",)
    assert result.stats["peer_hits"] == 4


def test_grype_golden_report(shared_data: Path) -> None:
    hits = read_grype(shared_data / GRYPE_GOLDEN / "TestJsonImgsPresenter.golden")
    assert [(h.package.name, h.package.ecosystem, h.ids[0]) for h in hits] == [
        ("package-1", "Red Hat:8", "CVE-1999-0001"),
        ("package-2", "Red Hat:8", "CVE-1999-0002"),
    ]
    assert hits[0].fixed == ("1.2.1", "2.1.3", "3.4.0")
    assert hits[0].cvss_score == 8.2 and hits[0].severity.value == "low"  # grype's rating
    assert hits[0].found_in == "/foo/bar/somefile-1.txt"


def test_own_matches_and_peer_results_merge_into_one_finding(tmp_path: Path) -> None:
    # gate's OSV record and Trivy both report CVE-2019-1549 on libssl1.1 1.1.1c-r0.
    record = {
        "id": "ALPINE-CVE-2019-1549",
        "modified": "2019-09-10T00:00:00Z",
        "upstream": ["CVE-2019-1549"],
        "affected": [
            {
                "package": {"ecosystem": "Alpine:v3.10", "name": "openssl"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1.1d-r0"}]}
                ],
            }
        ],
    }
    db = tmp_path / "db"
    db.mkdir()
    (db / "a.json").write_text(json.dumps(record))
    trivy = json.loads((DATA / "trivy-alpine-310.json").read_text())
    result = trivy["Results"][0]
    result["Vulnerabilities"] = [
        v for v in result["Vulnerabilities"] if v["PkgName"] == "libssl1.1"
    ]
    for v in result["Vulnerabilities"]:
        v["PkgPath"] = "lib/apk/db/installed"
    report = tmp_path / "trivy.json"
    report.write_text(json.dumps(trivy))
    package = InstalledPackage(
        PackageRef(
            "libssl1.1",
            "1.1.1c-r0",
            "Alpine:v3.10",
            source_name="openssl",
            source_version="1.1.1c-r0",
        ),
        "/lib/apk/db/installed",
    )
    target = ScanTarget(
        options={
            "inventory": inventory([package]),
            "database": DatabaseChoice(vuln_db=(db,)),
            "trivy_json": (report,),
        }
    )
    findings = VulnerabilitiesAnalyzer().run(target).findings
    by_id = {f.vulnerability_id: f for f in findings}
    assert set(by_id) == {"CVE-2019-1549", "CVE-2019-1551"}
    merged = by_id["CVE-2019-1549"]
    assert merged.properties["sources"] == ("osv", "trivy")
    assert "ALPINE-CVE-2019-1549" in merged.aliases
    assert by_id["CVE-2019-1551"].properties["sources"] == ("trivy",)


@pytest.mark.parametrize(
    ("reader", "text", "message"),
    [
        (read_trivy, "{", "not valid JSON"),
        (read_trivy, '{"SchemaVersion": 1, "Results": []}', "SchemaVersion 1"),
        (read_trivy, '{"Results": {}}', "no Results list"),
        (
            read_trivy,
            '{"Results": [{"Vulnerabilities": [{"PkgName": "x"}]}]}',
            "without VulnerabilityID",
        ),
        (read_grype, '{"matches": {}}', "no matches list"),
        (read_grype, '{"matches": [{"vulnerability": {}}]}', "without vulnerability.id"),
    ],
)
def test_bad_reports_are_input_errors_naming_the_file(
    tmp_path: Path, reader: object, text: str, message: str
) -> None:
    path = tmp_path / "report.json"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as caught:
        reader(path)  # type: ignore[operator]
    assert str(path) in str(caught.value)
