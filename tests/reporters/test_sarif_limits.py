"""SARIF within GitHub code scanning's upload limits: most severe results kept, the trim said
in the run; one run per image with a stable automationDetails.id."""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
from pathlib import Path

import jsonschema
import pytest

from gate.models import Rule, RuleID
from gate.reporters import github_limits, sarif
from gate.reporters.sarif import SarifReporter
from tests.reporters.ci_samples import many_findings
from tests.reporters.samples import sample_report
from tests.reporters.test_sarif import SARIF_SCHEMA


def test_limits_are_githubs_documented_ones() -> None:
    # GitHub Docs, "SARIF results exceed one or more limits" and "SARIF support for code
    # scanning" (upload: 10 MB gzip-compressed).
    assert github_limits.SARIF_MAX_RESULTS == 25_000
    assert github_limits.SARIF_MAX_RULES == 25_000
    assert github_limits.SARIF_MAX_TAGS_PER_RULE == 20
    assert github_limits.SARIF_MAX_GZIP_BYTES == 10_000_000
    assert github_limits.COMMENT_MAX_CHARS == 65_536


def test_results_over_the_limit_keep_the_most_severe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sarif, "SARIF_MAX_RESULTS", 40)
    report = many_findings(tmp_path, 100)
    text, trim = SarifReporter().render_with_trim(report)
    assert trim is not None and (trim.kept, trim.total) == (40, 100)
    run = json.loads(text)["runs"][0]
    assert len(run["results"]) == 40
    statuses = [r["properties"]["status"] for r in run["results"]]
    # statuses cycle in fives: 35 of the 100 block, and every one of them is kept
    blocking = sum(e.status.value == "blocking" for e in report.decision.findings)
    assert statuses.count("blocking") == blocking == 35
    assert "suppressed" not in statuses
    kept_allowed = [r["properties"]["severity"] for r in run["results"]
                    if r["properties"]["status"] == "allowed"]
    assert set(kept_allowed) <= {"critical", "high"}
    assert run["properties"]["trimmed"] == {
        "keptResults": 40, "totalResults": 100, "limit": "40 results per run"
    }
    (note,) = [n for n in run["invocations"][0]["toolExecutionNotifications"]
               if n["descriptor"]["id"] == "results-trimmed"]
    assert note["level"] == "warning" and "40 of 100 findings kept" in note["message"]["text"]
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    assert list(jsonschema.Draft7Validator(schema).iter_errors(json.loads(text))) == []


def test_gzip_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sarif, "SARIF_MAX_GZIP_BYTES", 60_000)
    report = many_findings(tmp_path, 400)
    # incompressible messages, so only fewer results can fit
    noisy = tuple(
        dataclasses.replace(e, finding=dataclasses.replace(
            e.finding, message=os.urandom(200).hex()))
        for e in report.decision.findings
    )
    report = dataclasses.replace(report, decision=dataclasses.replace(report.decision,
                                                                      findings=noisy))
    text, trim = SarifReporter().render_with_trim(report)
    assert len(gzip.compress(text.encode())) <= 60_000
    assert trim is not None and 0 < trim.kept < 400 and trim.total == 400
    assert trim.limit == "0.06 MB of gzip-compressed SARIF"
    assert len(json.loads(text)["runs"][0]["results"]) == trim.kept
    # without the limit, everything is kept
    full = json.loads(SarifReporter(github_limits=False).render(report))
    assert len(full["runs"][0]["results"]) == 400


def test_no_trim_under_the_limits(tmp_path: Path) -> None:
    report = sample_report(tmp_path)
    text, trim = SarifReporter().render_with_trim(report)
    assert trim is None
    run = json.loads(text)["runs"][0]
    assert "trimmed" not in run["properties"]
    assert len(run["results"]) == len(report.decision.findings)


def test_tags_per_rule_capped(tmp_path: Path) -> None:
    report = sample_report(tmp_path)
    rule = Rule(RuleID("config/MANY-TAGS"), report.checks[1].check, "t",
                report.checks[1].rules[0].severity,
                tags=tuple(f"compliance:x:{i}" for i in range(40)))
    checks = (report.checks[0], dataclasses.replace(report.checks[1], rules=(rule,)),
              report.checks[2])
    doc = json.loads(SarifReporter().render(dataclasses.replace(report, checks=checks)))
    (descriptor,) = [r for r in doc["runs"][0]["tool"]["driver"]["rules"]
                     if r["id"] == "config/MANY-TAGS"]
    assert len(descriptor["properties"]["tags"]) == 20
    assert descriptor["properties"]["tags"][:2] == ["security", "config"]


def test_one_run_per_image_and_distinct_categories(tmp_path: Path) -> None:
    report = sample_report(tmp_path)
    assert report.image is not None
    other = dataclasses.replace(
        report, image=dataclasses.replace(report.image, reference="ghcr.io/acme/worker:1.4.2")
    )
    ids = []
    for item in (report, other):
        runs = json.loads(SarifReporter().render(item))["runs"]
        assert len(runs) == 1
        ids.append(runs[0]["automationDetails"]["id"])
    assert ids == ["gate/ghcr.io/acme/api/", "gate/ghcr.io/acme/worker/"]
