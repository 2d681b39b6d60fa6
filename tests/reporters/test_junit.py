"""JUnit XML: valid against the Jenkins xUnit plugin's junit-10.xsd, failures for blocking
findings and violations, unique test names (GitLab keeps only the first of equal ones)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from gate.models import FindingStatus, Report
from gate.policy.evaluate import evaluate
from gate.policy.loader import load_policy
from gate.reporters.junit import JUnitReporter
from tests.reporters.ci_samples import REAL_SECRETS, hostile_report, secrets_report
from tests.reporters.samples import RAW_SECRETS, TODAY, results, sample_report

XSD = Path(__file__).parent / "data" / "junit-10.xsd"


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def parse(text: str, schema: etree.XMLSchema) -> etree._Element:
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = etree.fromstring(text.encode("utf-8"))
    schema.assertValid(root)
    return root


def test_valid_and_counts_match_the_decision(tmp_path: Path, schema: etree.XMLSchema) -> None:
    report = sample_report(tmp_path)
    root = parse(JUnitReporter().render(report), schema)
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["gate.policy", "gate.secrets", "gate.config", "gate.vulnerabilities"]
    decision = report.decision
    blocking = sum(e.status is FindingStatus.BLOCKING for e in decision.findings)
    suppressed = sum(e.status is FindingStatus.SUPPRESSED for e in decision.findings)
    assert int(root.get("failures")) == blocking + len(decision.violations)
    assert sum(int(s.get("skipped")) for s in suites.values()) == suppressed
    policy = suites["gate.policy"]
    assert [c.get("name") for c in policy.findall("testcase")] == [
        v.message for v in decision.violations
    ]
    assert all(c.find("failure") is not None for c in policy.findall("testcase"))
    # one testcase per finding; suite counts are right
    secrets = suites["gate.secrets"]
    cases = secrets.findall("testcase")
    assert int(secrets.get("tests")) == len(cases) == 6
    failing = [c for c in cases if c.find("failure") is not None]
    assert {c.get("classname") for c in failing} == {
        "gate.secrets.secret/aws-access-key-id",
        "gate.secrets.secret/github-pat",
        "gate.secrets.secret/generic-password",
    }
    aws = next(c for c in failing if "/app/.env:3" in c.get("name"))
    failure = aws.find("failure")
    assert failure.get("type") == "critical"
    assert "AKIA****" in failure.text and "fingerprint: " in failure.text
    skipped = next(c for c in cases if c.find("skipped") is not None)
    assert skipped.find("skipped").get("message").startswith("excepted by ignore[0]")
    # unique (classname, name) pairs
    pairs = Counter((c.get("classname"), c.get("name")) for c in root.iter("testcase"))
    assert max(pairs.values()) == 1


def test_rules_without_findings_pass(tmp_path: Path, schema: etree.XMLSchema) -> None:
    report = secrets_report(tmp_path)
    text = JUnitReporter().render(report)
    root = parse(text, schema)
    suite = next(s for s in root.findall("testsuite") if s.get("name") == "gate.secrets")
    passing = [c for c in suite.findall("testcase") if c.get("name") == "no findings"]
    rules = {rule.id for rule in report.checks[0].rules}
    assert len(passing) == len(rules) - 3 > 20
    assert all(len(c) == 0 for c in passing)
    for raw in REAL_SECRETS:
        assert raw not in text


def test_warn_mode_violations_are_skipped_not_failed(
    tmp_path: Path, schema: etree.XMLSchema
) -> None:
    policy = tmp_path / "warn.toml"
    policy.write_text('mode = "warn"\n[vulnerabilities]\nmax_db_age_days = 0\n')
    report = sample_report(tmp_path)
    decision = evaluate(load_policy(policy), results(), today=TODAY,
                        checks_run=report.decision.checks_run)
    warn = dataclasses.replace(report, decision=decision)
    root = parse(JUnitReporter().render(warn), schema)
    assert root.get("failures") == "0"
    policy_suite = root.find("testsuite")
    assert int(policy_suite.get("skipped")) == len(decision.violations) > 0


def test_passing_report_has_a_verdict_testcase(tmp_path: Path, schema: etree.XMLSchema) -> None:
    report: Report = secrets_report(
        tmp_path, 'extends = "default"\n[secrets]\nthresholds = { critical = 9, high = 9 }\n'
    )
    root = parse(JUnitReporter().render(report), schema)
    assert root.get("failures") == "0"
    verdict = root.find("testsuite/testcase")
    assert verdict.get("name") == "verdict"
    assert verdict.find("system-out").text.startswith("pass")


def test_hostile_text_stays_well_formed(tmp_path: Path, schema: etree.XMLSchema) -> None:
    text = JUnitReporter().render(hostile_report(tmp_path))
    root = parse(text, schema)
    messages = [f.get("message") for f in root.iter("failure") if f.get("message")]
    assert any("<script>" in m for m in messages)  # kept as text, escaped by XML
    assert "\x00" not in text and "\x07" not in text
    for raw in RAW_SECRETS:
        assert raw not in text
