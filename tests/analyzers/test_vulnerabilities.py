"""The vulnerabilities check through the pipeline and the CLI: applicability, a missing
database, peer results located in the scanned image's layers, and the policy's
``[vulnerabilities]`` settings and ``[[ignore]]`` exceptions on real findings."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from gate.cli import main
from gate.errors import AdvisoryDatabaseError
from gate.layer_walk import WalkOptions
from gate.models import Check, FindingStatus, Report, Verdict
from gate.pipeline import GateRequest, run_gate
from gate.policy.loader import load_policy
from gate.testing.image_writer import ImageSpec, write_oci_layout
from tests.matchers.helpers import PYPA, inventory, pypi

TRIVY = Path(__file__).parents[1] / "matchers" / "data" / "trivy-alpine-310.json"
EXAMPLE = [
    pypi("jinja2", "2.10"),
    pypi("PyYAML", "5.3"),
    pypi("requests", "2.19.0"),
    pypi("urllib3", "1.24.1"),
]
TODAY = dt.date(2024, 10, 12)  # two days after the newest record of the shared PyPA data


_CACHE: list[Path] = []


@pytest.fixture(autouse=True, scope="module")
def _index_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The PyPA advisories indexed once for the module (the cache gate keeps beside the layer
    cache), not once per test."""
    _CACHE[:] = [tmp_path_factory.mktemp("cache")]


def gate(tmp_path: Path, policy: str = "", *, today: dt.date = TODAY, **extra: Any) -> Report:
    path = tmp_path / "gate.toml"
    path.write_text(policy)
    context = tmp_path / "ctx"
    context.mkdir(exist_ok=True)
    extra.setdefault("inventory", inventory(EXAMPLE))
    extra.setdefault("vuln_db", (PYPA,))
    request = GateRequest(
        policy=load_policy(path),
        policy_path=str(path),
        context_dir=context,
        checks=(Check.VULNERABILITIES,),
        today=today,
        walk=WalkOptions(cache_dir=_CACHE[0]),
        extra=extra,
    )
    return run_gate(request)


def statuses(report: Report) -> dict[str, FindingStatus]:
    return {str(e.finding.vulnerability_id): e.status for e in report.decision.findings}


def test_context_only_is_not_applicable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "app.py").write_text("print('hello')\n")
    assert (
        main(["check", "--context", str(tmp_path), "--checks", "vulnerabilities", "--no-cache"])
        == 0
    )
    out = capsys.readouterr().out
    assert "note: not-applicable x1" in out and "PASS" in out


def test_an_image_without_any_advisory_database_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATE_DB_DIR", str(tmp_path / "no-db"))
    monkeypatch.delenv("GATE_VULN_DB", raising=False)
    write_oci_layout(tmp_path / "img", ImageSpec(layers=[{"/etc/hostname": b"x\n"}]), tag="t")
    code = main(
        [
            "check",
            "--image",
            f"oci:{tmp_path / 'img'}:t",
            "--checks",
            "vulnerabilities",
            "--no-cache",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "no advisory database" in err and "gate db update" in err and "--vuln-db" in err


def test_bad_inputs_are_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--context", str(tmp_path), "--vuln-db", str(tmp_path / "no")]) == 2
    assert "--vuln-db" in capsys.readouterr().err
    assert main(["check", "--context", str(tmp_path), "--vex", str(tmp_path / "no.json")]) == 2
    assert main(["check", "--context", str(tmp_path), "--vuln-db", str(PYPA), "--osv-api"]) == 2
    assert "exclusive" in capsys.readouterr().err
    bad = tmp_path / "trivy.json"
    bad.write_text("[]")
    assert (
        main(
            [
                "check",
                "--context",
                str(tmp_path),
                "--trivy-json",
                str(bad),
                "--checks",
                "vulnerabilities",
                "--no-cache",
            ]
        )
        == 2
    )
    assert "Trivy report" in capsys.readouterr().err


def test_no_database_at_all_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(AdvisoryDatabaseError) as caught:
        gate(tmp_path, vuln_db=(), db_dir=tmp_path / "empty-db")
    message = str(caught.value)
    for way in ("gate db update", "--vuln-db", "--osv-api"):
        assert way in message


def test_peer_results_in_the_scanned_image_and_cli_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # No gate database: the ingested results are the findings, and the report says so.
    monkeypatch.setenv("GATE_DB_DIR", str(tmp_path / "no-db"))
    monkeypatch.delenv("GATE_VULN_DB", raising=False)
    built = write_oci_layout(
        tmp_path / "img",
        ImageSpec(
            layers=[
                {"/etc/alpine-release": b"3.10.2\n"},
                {"/lib/apk/db/installed": b"P:musl\nV:1\n\n"},
            ]
        ),
        tag="t",
    )["t"]
    report = json.loads(TRIVY.read_text())
    for vuln in report["Results"][0]["Vulnerabilities"]:
        vuln["Layer"] = {"DiffID": built.layers[1].diff_id}
    trivy = tmp_path / "trivy.json"
    trivy.write_text(json.dumps(report))
    sarif = tmp_path / "out.sarif"
    code = main(
        [
            "check",
            "--image",
            f"oci:{tmp_path / 'img'}:t",
            "--trivy-json",
            str(trivy),
            "--checks",
            "vulnerabilities",
            "--fail-on",
            "medium",
            "--no-cache",
            "--sarif",
            str(sarif),
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "CVE-2019-1549" in out and "(layer 2/2)" in out
    assert "own-matching-skipped" in out
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    assert len(results) == 4
    assert {r["properties"]["layer_index"] for r in results} == {1}
    assert results[0]["properties"]["vulnerabilityId"] == "CVE-2019-1549"


# -- policy ---------------------------------------------------------------------------------


def test_thresholds_by_severity(tmp_path: Path) -> None:
    report = gate(tmp_path, "[vulnerabilities]\nmax_db_age_days = 0\n")
    # Default thresholds critical = 0, high = 0: urllib3's CVE-2023-43804 (CVSS 8.1) blocks.
    assert report.decision.verdict is Verdict.FAIL
    assert [v.message for v in report.decision.violations] == [
        "vulnerabilities allows at most 0 high finding(s); 1 counted"
    ]
    assert statuses(report)["CVE-2023-43804"] is FindingStatus.BLOCKING
    assert statuses(report)["CVE-2019-10906"] is FindingStatus.ALLOWED
    lenient = gate(
        tmp_path,
        "[vulnerabilities]\nmax_db_age_days = 0\nthresholds = { critical = 0, high = 1 }\n",
    )
    assert lenient.decision.verdict is Verdict.PASS


def test_min_cvss_and_only_fixed(tmp_path: Path) -> None:
    report = gate(tmp_path, "[vulnerabilities]\nmax_db_age_days = 0\nmin_cvss = 5.0\n")
    kept = statuses(report)
    assert "CVE-2023-45803" not in kept  # CVSS 4.2: dropped
    assert "CVE-2023-43804" in kept  # 8.1
    assert "CVE-2019-10906" in kept  # no known score: kept
    unfixed = gate(
        tmp_path,
        "[vulnerabilities]\nmax_db_age_days = 0\nonly_fixed = true\n",
        inventory=inventory([pypi("py", "1.11.0")]),
    )
    # py 1.11.0: PYSEC-2022-42969 has only last_affected, no fix.
    assert unfixed.decision.findings == ()
    shown = gate(
        tmp_path,
        "[vulnerabilities]\nmax_db_age_days = 0\n",
        inventory=inventory([pypi("py", "1.11.0")]),
    )
    assert [e.finding.vulnerability_id for e in shown.decision.findings] == ["CVE-2022-42969"]


def test_a_stale_database_is_a_violation(tmp_path: Path) -> None:
    fresh = gate(tmp_path, "[vulnerabilities]\nthresholds = {}\n")
    assert fresh.decision.verdict is Verdict.PASS
    stale = gate(tmp_path, "[vulnerabilities]\nthresholds = {}\n", today=dt.date(2025, 1, 1))
    assert stale.decision.verdict is Verdict.FAIL
    assert [v.message for v in stale.decision.violations] == [
        "advisory database is 83 days old (updated 2024-10-10); vulnerabilities.max_db_age_days = 7"
    ]
    (result,) = stale.checks
    assert result.metadata["advisory_db_age_days"] == 83
    # The same fact as a result every report shows, at the policy that sets the limit; it
    # blocks through the age rule only (one violation, not also a "high" threshold one).
    (policy_finding,) = [
        e for e in stale.decision.findings if e.finding.rule_id == "vuln/advisory-database-age"
    ]
    assert policy_finding.status is FindingStatus.BLOCKING
    assert policy_finding.finding.location.kind.value == "policy"
    assert policy_finding.finding.location.path.endswith("gate.toml")
    assert "83 days old" in policy_finding.finding.message
    assert not [
        e for e in fresh.decision.findings if e.finding.rule_id == "vuln/advisory-database-age"
    ]


def test_exceptions_by_alias_and_by_package_version_range(tmp_path: Path) -> None:
    policy = """
[vulnerabilities]
max_db_age_days = 0

[[ignore]]
rule = "GHSA-v845-jxx5-vc9f"   # an alias of CVE-2023-43804
reason = "cookies never cross origins here"
expires = 2025-01-01

[[ignore]]
package = "jinja2"
versions = ">=2.10, <2.11.3"
reason = "templates are not user-controlled"
expires = 2025-01-01

[[ignore]]
package = "PyYAML"
versions = ">=6.0"
reason = "never applies: the image has 5.3"
expires = 2025-01-01
"""
    report = gate(tmp_path, policy)
    got = statuses(report)
    assert got["CVE-2023-43804"] is FindingStatus.SUPPRESSED
    assert got["CVE-2019-10906"] is FindingStatus.SUPPRESSED
    assert got["CVE-2020-28493"] is FindingStatus.SUPPRESSED
    assert got["CVE-2020-1747"] is FindingStatus.ALLOWED
    assert report.decision.verdict is Verdict.PASS
    assert [x.index for x in report.decision.unused_exceptions] == [2]
    newer = gate(
        tmp_path,
        policy,
        inventory=inventory([pypi("jinja2", "2.11.2"), pypi("jinja2", "2.10", "/other")]),
    )
    by_path = {
        (e.finding.package.version, e.finding.vulnerability_id): e.status
        for e in newer.decision.findings
        if e.finding.package
    }
    assert by_path[("2.11.2", "CVE-2020-28493")] is FindingStatus.SUPPRESSED
    assert by_path[("2.10", "CVE-2019-10906")] is FindingStatus.SUPPRESSED
