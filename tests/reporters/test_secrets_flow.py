"""The real secrets check on a real build context, through policy and every reporter: the user
flow of reading a fingerprint from the JSON report and excepting that one secret."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema

from gate.analyzers.interface import ScanTarget
from gate.analyzers.secrets.analyzer import SecretsAnalyzer
from gate.models import Check, CheckResult, FindingStatus, Report, Verdict
from gate.policy.evaluate import evaluate
from gate.policy.loader import load_policy
from gate.reporters.console import ConsoleReporter
from gate.reporters.json_report import JsonReporter, report_schema
from gate.reporters.sarif import SarifReporter
from gate.sources.context import load_context

TODAY = dt.date(2025, 6, 1)
AWS_KEY = "AKIA" + "Q7Z3XN4P" + "LM2B8RWT"
SLACK = "xoxb-" + "28374610" + "-9182736450-" + "aB3dE5fG7hJ9kL1mN3pQ5rS7"


def scan(context_dir: Path) -> CheckResult:
    context = load_context(context_dir, repo_root=context_dir)
    options = {"today": TODAY, "scan_context": True, "scan_history": True, "max_file_size": 1 << 20}
    return SecretsAnalyzer().run(ScanTarget(context=context, options=options))


def report_for(policy_path: Path | None, result: CheckResult) -> Report:
    decision = evaluate(
        load_policy(policy_path), (result,), today=TODAY, checks_run=(Check.SECRETS,)
    )
    return Report(
        tool_version="0.1.0",
        generated_at="2025-06-01T00:00:00+00:00",
        policy_path=str(policy_path or "default"),
        image=None,
        context_path=".",
        checks=(result,),
        decision=decision,
    )


def test_fingerprint_from_the_report_excepts_that_secret(tmp_path: Path) -> None:
    context = tmp_path / "ctx"
    (context / "app").mkdir(parents=True)
    (context / "app" / "settings.py").write_text(f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"\n')
    (context / "tests").mkdir()
    (context / "tests" / "conftest.py").write_text(f'SLACK_TOKEN = "{SLACK}"\n')
    result = scan(context)
    rules = {f.rule_id for f in result.findings}
    assert {"secret/aws-access-key-id", "secret/slack-bot-token"} <= rules

    first = report_for(None, result)
    assert first.decision.verdict is Verdict.FAIL
    doc = json.loads(JsonReporter().render(first))
    aws = next(f for f in doc["findings"] if f["rule_id"] == "secret/aws-access-key-id")

    policy = tmp_path / "gate.toml"
    policy.write_text(
        'extends = "default"\n'
        "[[ignore]]\n"
        f'fingerprint = "{aws["fingerprint"]}"\n'
        'reason = "rotated 2025-05-30, kept for the incident write-up"\n'
        "expires = 2025-06-30\n"
        "[[ignore]]\n"
        'rule = "secret/slack-bot-token"\n'
        'path = "tests/**"\n'
        'reason = "revoked test workspace token"\n'
        "expires = 2025-06-30\n",
        encoding="utf-8",
    )
    second = report_for(policy, result)
    statuses = {e.finding.fingerprint: e.status for e in second.decision.findings}
    assert statuses[aws["fingerprint"]] is FindingStatus.SUPPRESSED
    slack = [e for e in second.decision.findings if e.finding.rule_id == "secret/slack-bot-token"]
    assert slack and all(e.status is FindingStatus.SUPPRESSED for e in slack)
    assert second.decision.unused_exceptions == ()
    assert second.decision.verdict is Verdict.PASS

    outputs = [
        ConsoleReporter().render(second),
        JsonReporter().render(second),
        SarifReporter().render(second),
    ]
    for text in outputs:
        assert AWS_KEY not in text and SLACK not in text
    jsonschema.Draft202012Validator(report_schema()).validate(json.loads(outputs[1]))
    sarif = json.loads(outputs[2])
    suppressed = [r for r in sarif["runs"][0]["results"] if r.get("suppressions")]
    assert any(r["ruleId"] == "secret/aws-access-key-id" for r in suppressed)

    # the day after expiry the exception no longer applies
    later = evaluate(
        load_policy(policy), (result,), today=dt.date(2025, 7, 1), checks_run=(Check.SECRETS,)
    )
    assert later.verdict is Verdict.FAIL
    assert {x.index for x in later.expired_exceptions} == {0, 1}
