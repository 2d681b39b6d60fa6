"""GitLab reports: container_scanning and secret_detection valid against GitLab's security
report schemas v15.0.7 (../shared/data/schemas/gitlab), Code Quality per GitLab's format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from gate.models import Check, FindingStatus
from gate.reporters.gitlab_codequality import GitLabCodeQualityReporter
from gate.reporters.gitlab_security import (
    GitLabContainerScanningReporter,
    GitLabSecretDetectionReporter,
)
from tests.reporters.ci_samples import REAL_SECRETS, hostile_report, secrets_report
from tests.reporters.samples import RAW_SECRETS, sample_report


def validator(shared_data: Path, name: str) -> jsonschema.protocols.Validator:
    schema = json.loads((shared_data / "schemas" / "gitlab" / name).read_text(encoding="utf-8"))
    assert schema["self"]["version"] == "15.0.7"
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=jsonschema.FormatChecker())


@pytest.fixture(scope="module")
def container_schema(shared_data: Path) -> jsonschema.protocols.Validator:
    return validator(shared_data, "container-scanning-report-format.json")


@pytest.fixture(scope="module")
def secret_schema(shared_data: Path) -> jsonschema.protocols.Validator:
    return validator(shared_data, "secret-detection-report-format.json")


def errors(v: jsonschema.protocols.Validator, doc: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in v.iter_errors(doc)]


def test_container_scanning_is_valid_and_complete(
    tmp_path: Path, container_schema: jsonschema.protocols.Validator
) -> None:
    report = sample_report(tmp_path)
    text = GitLabContainerScanningReporter().render(report)
    doc = json.loads(text)
    assert errors(container_schema, doc) == []
    assert doc["version"] == "15.0.7" and doc["scan"]["type"] == "container_scanning"
    assert doc["scan"]["end_time"] == "2025-06-01T12:00:00"
    assert doc["scan"]["start_time"] == "2025-06-01T11:59:58"
    (vuln,) = doc["vulnerabilities"]
    assert vuln["severity"] == "High"
    assert [i["value"] for i in vuln["identifiers"]] == ["CVE-2024-6119", "DSA-5764-1"]
    assert vuln["identifiers"][0] == {
        "type": "cve",
        "name": "CVE-2024-6119",
        "value": "CVE-2024-6119",
        "url": "https://nvd.nist.gov/vuln/detail/CVE-2024-6119",
    }
    assert vuln["identifiers"][1]["type"] == "dsa"
    assert vuln["location"] == {
        "dependency": {"package": {"name": "libssl3"}, "version": "3.0.13-1~deb12u1"},
        "operating_system": "Debian 12",
        "image": "ghcr.io/acme/api:1.4.2",
    }
    assert vuln["solution"] == "Upgrade libssl3 to 3.0.14-1~deb12u1."
    # stable identity across renders
    again = json.loads(GitLabContainerScanningReporter().render(report))
    assert again["vulnerabilities"][0]["id"] == vuln["id"]
    # the policy violations are scan messages
    assert {"level": "warn",
            "value": "policy violation: vulnerabilities allows at most 0 high finding(s); "
                     "1 counted"} in doc["scan"]["messages"]


def test_secret_detection_is_valid_and_complete(
    tmp_path: Path, secret_schema: jsonschema.protocols.Validator
) -> None:
    report = sample_report(tmp_path)
    text = GitLabSecretDetectionReporter(commit_sha="a" * 40).render(report)
    doc = json.loads(text)
    assert errors(secret_schema, doc) == []
    vulns = doc["vulnerabilities"]
    secrets = [e for e in report.decision.findings if e.finding.check is Check.SECRETS]
    # the suppressed test-fixture password is not reported as a vulnerability
    assert len(vulns) == sum(e.status is not FindingStatus.SUPPRESSED for e in secrets) == 5
    assert len({v["id"] for v in vulns}) == 5
    files = {v["location"]["file"]: v["location"] for v in vulns}
    assert files["services/api/config/settings.py"]["start_line"] == 12
    # the image file attributed to a Dockerfile line is placed on that line
    assert files["services/api/Dockerfile"]["start_line"] == 7
    assert "ghcr.io/acme/api:1.4.2:/app/.env" in files
    assert "ghcr.io/acme/api:1.4.2:image-config:Env.AWS_ACCESS_KEY_ID" in files
    assert all(v["location"]["commit"] == {"sha": "a" * 40} for v in vulns)
    assert all(v["identifiers"][0]["type"] == "gate_rule_id" for v in vulns)
    for raw in RAW_SECRETS:
        assert raw not in text
    default = json.loads(GitLabSecretDetectionReporter().render(report))
    assert default["vulnerabilities"][0]["location"]["commit"] == {"sha": "0000000"}


def test_real_secrets_check_validates(
    tmp_path: Path,
    secret_schema: jsonschema.protocols.Validator,
    container_schema: jsonschema.protocols.Validator,
) -> None:
    report = secrets_report(tmp_path)
    text = GitLabSecretDetectionReporter().render(report)
    doc = json.loads(text)
    assert errors(secret_schema, doc) == []
    assert {v["location"]["file"] for v in doc["vulnerabilities"]} == {
        "ctx/app/settings.py", "ctx/deploy/pay.env", "ctx/tests/conftest.py"
    }
    for raw in REAL_SECRETS:
        assert raw not in text
    # no vulnerability check ran: an empty, still valid container scanning report
    empty = json.loads(GitLabContainerScanningReporter().render(report))
    assert errors(container_schema, empty) == [] and empty["vulnerabilities"] == []


def test_hostile_text_still_validates(
    tmp_path: Path, secret_schema: jsonschema.protocols.Validator
) -> None:
    doc = json.loads(GitLabSecretDetectionReporter().render(hostile_report(tmp_path)))
    assert errors(secret_schema, doc) == []


def test_the_schemas_are_not_vacuous(
    tmp_path: Path,
    secret_schema: jsonschema.protocols.Validator,
    container_schema: jsonschema.protocols.Validator,
) -> None:
    doc = json.loads(GitLabContainerScanningReporter().render(sample_report(tmp_path)))
    del doc["vulnerabilities"][0]["location"]["operating_system"]
    doc["scan"]["end_time"] = "2025-06-01T12:00:00+00:00"
    assert len(errors(container_schema, doc)) == 2
    secret = json.loads(GitLabSecretDetectionReporter().render(sample_report(tmp_path)))
    secret["vulnerabilities"][0]["severity"] = "critical"
    assert len(errors(secret_schema, secret)) == 1


# -- Code Quality -----------------------------------------------------------------------------

CODE_QUALITY_ISSUE = {
    # GitLab "Implement a custom tool" (../shared/data/schemas/gitlab/code-quality-report-format.md)
    "type": "object",
    "required": ["description", "check_name", "fingerprint", "severity", "location"],
    "properties": {
        "description": {"type": "string", "minLength": 1},
        "check_name": {"type": "string", "minLength": 1},
        "fingerprint": {"type": "string", "minLength": 1},
        "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
        "location": {
            "type": "object",
            "required": ["path", "lines"],
            "properties": {
                "path": {"type": "string", "minLength": 1, "not": {"pattern": "^/"}},
                "lines": {
                    "type": "object",
                    "required": ["begin"],
                    "properties": {"begin": {"type": "integer", "minimum": 1}},
                },
            },
        },
    },
}


def test_code_quality_format(tmp_path: Path, shared_data: Path) -> None:
    doc_text = (shared_data / "schemas" / "gitlab" / "code-quality-report-format.md").read_text()
    for field in ("description", "check_name", "fingerprint", "severity", "location.path",
                  "location.lines.begin"):
        assert f"`{field}`" in doc_text  # the fields the schema above checks are GitLab's
    report = sample_report(tmp_path)
    text = GitLabCodeQualityReporter().render(report)
    assert not text.startswith("\ufeff")
    issues = json.loads(text)
    check = jsonschema.Draft202012Validator(
        {"type": "array", "items": CODE_QUALITY_ISSUE}
    )
    assert [e.message for e in check.iter_errors(issues)] == []
    shown = [e for e in report.decision.findings if e.status is not FindingStatus.SUPPRESSED]
    assert len(issues) == len(shown)
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    by_rule = {}
    for issue in issues:
        by_rule.setdefault(issue["check_name"], []).append(issue)
    user = by_rule["config/DKR-USER-001"][0]
    assert user["location"] == {"path": "services/api/Dockerfile", "lines": {"begin": 1}}
    assert user["severity"] == "critical"  # high
    github = {i["location"]["path"]: i for i in by_rule["secret/github-pat"]}
    assert github["services/api/Dockerfile"]["location"]["lines"]["begin"] == 7
    assert github["services/api/config/settings.py"]["location"]["lines"]["begin"] == 12
    aws = by_rule["secret/aws-access-key-id"]
    assert {i["severity"] for i in aws} == {"blocker"}
    assert "ghcr.io/acme/api:1.4.2/app/.env" in {i["location"]["path"] for i in aws}
    for raw in RAW_SECRETS:
        assert raw not in text
