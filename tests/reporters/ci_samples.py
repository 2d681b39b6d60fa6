"""Reports for the CI formats' tests, beyond ``samples.sample_report``:

* :func:`secrets_report`: the real secrets check on a real build context (fakes assembled at
  run time with their providers' real formats);
* :func:`many_findings`: the sample report with ``n`` findings of every severity, for limits;
* :func:`hostile_report`: image paths and messages built to break Markdown, XML, workflow
  commands and JSON consumers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from gate.analyzers.interface import ScanTarget
from gate.analyzers.secrets.analyzer import SecretsAnalyzer
from gate.models import (
    Check,
    EvaluatedFinding,
    FindingStatus,
    Fingerprint,
    Location,
    LocationKind,
    Report,
    Severity,
)
from gate.policy.evaluate import evaluate
from gate.policy.loader import load_policy
from gate.sources.context import load_context
from tests.reporters.samples import sample_report

TODAY = dt.date(2025, 6, 1)
AWS_KEY = "AKIA" + "W3ZQ7XN4" + "PLM2B8RT"
SLACK = "xoxb-" + "28374610" + "-9182736450-" + "aB3dE5fG7hJ9kL1mN3pQ5rS7"
STRIPE = "sk_live_" + "51HqZ2LkT9xVbW3" + "mN7pQ4rS8uY1cD6eF0gJ2hK5"
REAL_SECRETS = (AWS_KEY, SLACK, STRIPE)


def secrets_context(root: Path) -> Path:
    """A build context with three real-format fake credentials, one under tests/."""
    (root / "app").mkdir(parents=True)
    (root / "app" / "settings.py").write_text(
        f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"\nDEBUG = False\n', encoding="utf-8"
    )
    (root / "deploy").mkdir()
    (root / "deploy" / "pay.env").write_text(f"STRIPE_API_KEY={STRIPE}\n", encoding="utf-8")
    (root / "tests").mkdir()
    (root / "tests" / "conftest.py").write_text(f'SLACK_TOKEN = "{SLACK}"\n', encoding="utf-8")
    (root / "Dockerfile").write_text("FROM scratch\nCOPY . /app\n", encoding="utf-8")
    return root


def secrets_report(root: Path, policy_text: str | None = None) -> Report:
    context_dir = secrets_context(root / "ctx")
    context = load_context(context_dir, repo_root=root)
    options = {"today": TODAY, "scan_context": True, "scan_history": True, "max_file_size": 1 << 20}
    result = SecretsAnalyzer().run(ScanTarget(context=context, options=options))
    policy_path = None
    if policy_text is not None:
        policy_path = root / "gate.toml"
        policy_path.write_text(policy_text, encoding="utf-8")
    decision = evaluate(
        load_policy(policy_path), (result,), today=TODAY, checks_run=(Check.SECRETS,)
    )
    return Report(
        tool_version="0.1.0",
        generated_at="2025-06-01T00:00:00+00:00",
        policy_path=str(policy_path or "policies/default.toml (shipped)"),
        image=None,
        context_path="ctx",
        checks=(result,),
        decision=decision,
        duration_seconds=0.5,
    )


def many_findings(tmp_path: Path, n: int, *, repo_file: bool = False) -> Report:
    """The sample report with ``n`` distinct findings cycling through every severity and
    status; ``repo_file``: located on a repository file (annotations, Code Quality)."""
    report = sample_report(tmp_path)
    template = report.decision.findings[0]
    statuses = (FindingStatus.BLOCKING, FindingStatus.ALLOWED, FindingStatus.SUPPRESSED)
    severities = list(Severity)
    findings = []
    for i in range(n):
        location = template.finding.location
        if repo_file:
            location = Location(LocationKind.CONTEXT, f"src/module_{i}.py", start_line=i + 1)
        finding = dataclasses.replace(
            template.finding,
            fingerprint=Fingerprint(f"{i:040x}"),
            severity=severities[i % len(severities)],
            message=f"finding number {i} of {n}",
            location=location,
        )
        findings.append(
            EvaluatedFinding(finding, statuses[(i // 5) % 3], reason=f"reason {i}")
        )
    decision = dataclasses.replace(report.decision, findings=tuple(findings))
    return dataclasses.replace(report, decision=decision)


HOSTILE_PATH = "/app/x|y`z <img src=x onerror=alert(1)> @octocat #1 **b** [l](http://e)\n::warning::"
HOSTILE_MESSAGE = (
    "50% done\r\n::error file=evil.py::injected\n<script>alert(1)</script> | @admin"
    "\x00\x07\u202eRTL"
)


def hostile_report(tmp_path: Path) -> Report:
    report = sample_report(tmp_path)
    hostile = []
    for evaluated in report.decision.findings:
        finding = evaluated.finding
        location = finding.location
        if location.kind is LocationKind.IMAGE_FILE:
            location = dataclasses.replace(location, path=HOSTILE_PATH)
        elif location.kind is LocationKind.CONTEXT:
            location = dataclasses.replace(location, path="src/a,b:c%d.py")
        hostile.append(
            dataclasses.replace(
                evaluated,
                finding=dataclasses.replace(
                    finding, location=location, message=f"{finding.message} {HOSTILE_MESSAGE}"
                ),
            )
        )
    assert report.image is not None
    image = dataclasses.replace(report.image, reference="evil.io/a -->b<!-- c:1")
    decision = dataclasses.replace(report.decision, findings=tuple(hostile))
    return dataclasses.replace(report, image=image, decision=decision)
