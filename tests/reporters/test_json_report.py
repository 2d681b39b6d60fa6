"""JSON report: valid against its shipped schema, no raw secrets, round-trips as a baseline."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from gate.errors import InputError
from gate.models import Check, FindingStatus, Report, Verdict
from gate.policy.evaluate import evaluate
from gate.policy.loader import load_policy
from gate.reporters.json_report import SCHEMA_VERSION, JsonReporter, load_baseline, report_schema
from tests.reporters.samples import RAW_SECRETS, TODAY, findings, results, sample_report


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = report_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def render(report: Report) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(JsonReporter().render(report))
    return doc


def test_valid_against_the_shipped_schema(
    tmp_path: Path, validator: jsonschema.protocols.Validator
) -> None:
    doc = render(sample_report(tmp_path))
    assert [e.message for e in validator.iter_errors(doc)] == []
    assert doc["schema_version"] == SCHEMA_VERSION == "1.1"


def test_content(tmp_path: Path) -> None:
    report = sample_report(tmp_path)
    doc = render(report)
    assert doc["verdict"] == "fail" and doc["exit_code"] == 1
    assert doc["policy"] == {"path": str(tmp_path / "gate.toml"), "mode": "enforce"}
    assert doc["target"]["image"]["reference"] == "ghcr.io/acme/api:1.4.2"
    assert doc["target"]["context"] == "services/api"
    assert doc["checks_run"] == ["secrets", "config", "vulnerabilities"]
    assert [v["message"] for v in doc["violations"]] == [
        v.message for v in report.decision.violations
    ]
    summary = doc["summary"]
    assert summary["findings"] == 8
    assert (summary["blocking"], summary["allowed"], summary["suppressed"]) == (7, 0, 1)
    assert summary["by_severity"] == {"critical": 2, "high": 4, "medium": 1, "low": 0, "info": 0}
    assert summary["new"] is None and summary["fixed"] is None and doc["baseline"] is None
    checks = {c["check"]: c for c in doc["checks"]}
    assert checks["secrets"]["findings"] == 6
    assert checks["secrets"]["notes"][0] == {
        "kind": "skipped-large-file",
        "count": 2,
        "detail": "files over max_file_size: head scanned only",
    }
    assert checks["vulnerabilities"]["metadata"]["advisory_db_updated"] == "2025-05-30"
    assert [x["index"] for x in doc["exceptions"]["expired"]] == [2]
    assert [x["index"] for x in doc["exceptions"]["unused"]] == [1]
    image_finding = next(f for f in doc["findings"] if f["location"]["path"] == "/app/.env")
    assert image_finding["location"]["layer"]["index"] == 1
    assert image_finding["location"]["removed_in"]["index"] == 2
    assert image_finding["evidence"] == "AKIA****"
    assert image_finding["status"] == "blocking"
    suppressed = next(f for f in doc["findings"] if f["status"] == "suppressed")
    assert suppressed["exception"]["reason"] == "test fixture password, not a live credential"
    vuln = next(f for f in doc["findings"] if f["check"] == "vulnerabilities")
    assert vuln["exception"]["expired"] is True  # the expired exception that no longer applies


def test_no_raw_secret(tmp_path: Path) -> None:
    text = JsonReporter().render(sample_report(tmp_path))
    for raw in RAW_SECRETS:
        assert raw not in text


def test_round_trip_as_baseline(tmp_path: Path, validator: jsonschema.protocols.Validator) -> None:
    first = sample_report(tmp_path)
    path = tmp_path / "report.json"
    path.write_text(JsonReporter().render(first), encoding="utf-8")
    baseline = load_baseline(path)
    assert baseline.source == str(path)
    # the findings come back equal, suppressed one included
    assert baseline.findings == tuple(e.finding for e in first.decision.findings)
    assert baseline.fingerprints == {e.finding.fingerprint for e in first.decision.findings}

    # next run: the config finding is fixed, a new secret appears
    found = findings()
    new_secret = replace(found["github_context"], fingerprint="f" * 40, message="new one")
    current = []
    for result in results(found):
        if result.check is Check.SECRETS:
            result = replace(result, findings=(*result.findings, new_secret))
        elif result.check is Check.CONFIG:
            result = replace(result, findings=())
        current.append(result)
    policy = load_policy(tmp_path / "gate.toml")
    decision = evaluate(
        policy, current, today=TODAY, checks_run=first.decision.checks_run, baseline=baseline
    )
    assert [f.rule_id for f in decision.fixed] == ["config/DKR-USER-001"]
    marks = {e.finding.fingerprint: e.baseline for e in decision.findings}
    assert marks.pop(new_secret.fingerprint) == "new"
    assert set(marks.values()) == {"unchanged"}
    second = replace(first, checks=tuple(current), decision=decision)
    doc = render(second)
    assert [e.message for e in validator.iter_errors(doc)] == []
    assert doc["summary"]["new"] == 1 and doc["summary"]["fixed"] == 1
    assert doc["baseline"]["fixed"][0]["rule_id"] == "config/DKR-USER-001"
    assert "status" not in doc["baseline"]["fixed"][0]


def test_gate_on_new_passes_with_only_known_findings(tmp_path: Path) -> None:
    first = sample_report(tmp_path)
    path = tmp_path / "report.json"
    path.write_text(JsonReporter().render(first), encoding="utf-8")
    policy_file = tmp_path / "new.toml"
    policy_file.write_text('extends = "gate.toml"\ngate_on = "new"\n', encoding="utf-8")
    decision = evaluate(
        load_policy(policy_file),
        results(),
        today=TODAY,
        checks_run=first.decision.checks_run,
        baseline=load_baseline(path),
    )
    assert decision.verdict is Verdict.PASS
    assert {e.status for e in decision.findings} == {
        FindingStatus.ALLOWED,
        FindingStatus.SUPPRESSED,
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"{not json",
            "not valid JSON (line 1, column 2: Expecting property name enclosed in double "
            "quotes)",
        ),
        (b"[]", "not a gate JSON report of schema version 1.x (schema_version: None)"),
        (
            b'{"schema_version": "2.0"}',
            "not a gate JSON report of schema version 1.x (schema_version: '2.0')",
        ),
        (
            b'{"schema_version": "1.0"}',
            "invalid report at (top level): 'tool' is a required property",
        ),
        (b"\xff\xfe", "not valid JSON (line 1, column 1: Expecting value)"),  # UTF-16, empty
        (b'{"a": "\xc3\x28"}', "not valid JSON (not utf-8 text at byte 7)"),
    ],
)
def test_bad_baselines_name_the_file(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "old.json"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        load_baseline(path)
    assert info.value.message.startswith(f"baseline {path}: {message}")


def test_missing_baseline(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(InputError) as info:
        load_baseline(missing)
    assert info.value.message == f"baseline {missing}: no such file"
    with pytest.raises(InputError) as info:
        load_baseline(tmp_path)
    assert info.value.message == f"baseline {tmp_path}: cannot read: Is a directory"


def test_tampered_finding_in_baseline_is_refused(tmp_path: Path) -> None:
    doc = render(sample_report(tmp_path))
    doc["findings"][0]["severity"] = "catastrophic"
    path = tmp_path / "old.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError, match=r"invalid report at findings/0/severity"):
        load_baseline(path)
