"""The configuration check under policies: overrides (disable, re-grade, paths, stages),
exceptions, compliance presets (extends), the per-control summary and its JSON form."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema

from gate.analyzers.config.compliance import REGIMES
from gate.layer_walk import WalkOptions
from gate.models import Check, Report
from gate.pipeline import GateRequest, run_gate
from gate.policy.loader import load_policy
from gate.policy.validation import policy_schema
from gate.reporters.compliance import ComplianceReporter
from gate.reporters.json_report import JsonReporter, report_schema

DOCKERFILE = (
    "FROM golang:1.22 AS build\nRUN go build -o /out/app .\n"
    "FROM debian:12-slim\nCOPY --from=build /out/app /app\nRUN chmod 777 /app\nUSER root\n"
)


def gate(tmp_path: Path, policy_text: str | None, dockerfile: str = DOCKERFILE) -> Report:
    (tmp_path / "svc").mkdir(exist_ok=True)
    path = tmp_path / "svc" / "Dockerfile"
    path.write_text(dockerfile)
    policy_path = None
    if policy_text is not None:
        policy_path = tmp_path / "gate.toml"
        policy_path.write_text(policy_text)
    request = GateRequest(
        policy=load_policy(policy_path), policy_path=str(policy_path), dockerfile=path,
        repo_root=tmp_path, checks=(Check.CONFIG,), walk=WalkOptions(cache_dir=None),
        today=dt.date(2026, 12, 1),
    )
    return run_gate(request)


def rules(report: Report) -> dict[str, str]:
    return {e.finding.rule_id: e.finding.severity.value for e in report.decision.findings}


def test_default_policy_blocks_root(tmp_path: Path) -> None:
    report = gate(tmp_path, None)
    assert rules(report)["config/user-root"] == "high"
    assert report.decision.verdict.value == "fail"
    located = next(e.finding for e in report.decision.findings
                   if e.finding.rule_id == "config/user-root")
    assert located.location.path == "svc/Dockerfile" and located.location.start_line == 6


def test_disable_regrade_and_scope(tmp_path: Path) -> None:
    report = gate(tmp_path, """
[config.rules."config/user-root"]
enabled = false
[config.rules."config/chmod-world-writable"]
severity = "critical"
[config.rules."config/unpinned-package"]
paths = ["other/**"]
[config.rules."config/base-image-latest"]
stages = ["final"]
""", DOCKERFILE.replace("golang:1.22", "golang").replace(
        "RUN go build", "RUN apt-get install -y gcc && go build"))
    found = rules(report)
    assert "config/user-root" not in found
    assert found["config/chmod-world-writable"] == "critical"
    assert "config/unpinned-package" not in found  # scoped to other paths
    assert "config/base-image-latest" not in found  # only in the builder stage: out of scope
    unscoped = rules(gate(tmp_path, None, DOCKERFILE.replace("golang:1.22", "golang")))
    assert "config/base-image-latest" in unscoped


def test_exception_with_reason_and_expiry(tmp_path: Path) -> None:
    text = """
[[ignore]]
rule = "config/user-root"
path = "svc/**"
reason = "entrypoint drops privileges with gosu"
expires = 2026-12-31
"""
    report = gate(tmp_path, text)
    root = next(e for e in report.decision.findings if e.finding.rule_id == "config/user-root")
    assert root.status.value == "suppressed"
    assert report.decision.verdict.value == "pass"
    expired = gate(tmp_path, text.replace("2026-12-31", "2026-11-30"))
    assert expired.decision.verdict.value == "fail"


def test_presets_extend_and_summarise(tmp_path: Path) -> None:
    report = gate(tmp_path, 'extends = "cis-docker"\n')
    assert load_policy(tmp_path / "gate.toml").config.compliance == ("cis-docker",)
    controls = {c.control: c for c in report.compliance}
    assert set(controls) == {c.id for c in REGIMES["cis-docker"].controls}
    assert controls["4.1"].status == "fail" and controls["4.1"].findings
    assert controls["4.7"].status == "pass"
    assert controls["4.8"].status == "not-evaluated"  # an image rule: no image given
    assert controls["4.2"].status == "fail"  # pin_base_digest = true in the preset
    text = ComplianceReporter().render(report)
    assert "compliance cis-docker:" in text and "config/user-root at svc/Dockerfile:6" in text
    doc = json.loads(JsonReporter().render(report))
    jsonschema.Draft202012Validator(report_schema()).validate(doc)
    assert {c["control"] for c in doc["compliance"]} == set(controls)
    for name in ("nist-800-53", "pci-dss", "hipaa"):
        preset = gate(tmp_path, f'extends = "{name}"\n')
        assert {c.regime for c in preset.compliance} == {name}
        assert any(c.status == "fail" for c in preset.compliance)


def test_suppressed_findings_do_not_fail_a_control(tmp_path: Path) -> None:
    report = gate(tmp_path, """
extends = "cis-docker"
[[ignore]]
rule = "config/user-root"
reason = "accepted"
expires = 2027-01-31
""")
    control = next(c for c in report.compliance if c.control == "4.1")
    assert control.status == "pass" and control.suppressed == 1


def test_schema_regimes_are_the_catalogue() -> None:
    config = policy_schema()["properties"]["config"]["properties"]
    assert set(config["compliance"]["items"]["enum"]) == set(REGIMES)


def test_docs_list_every_rule_and_control() -> None:
    from gate.analyzers.config.rules import RULES

    docs = (Path(__file__).resolve().parents[2] / "docs" / "rules.md").read_text()
    missing = [r.id for r in RULES if f"`{r.id}`" not in docs]
    assert missing == []
    for regime in REGIMES.values():
        for control in regime.controls:
            assert f"| {control.id} | {control.title} |" in docs
