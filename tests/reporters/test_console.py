"""Console report: readable, plain in CI, colour only on request, never a raw secret."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest

from gate.models import Decision, Report, Verdict
from gate.policy.baseline import Baseline
from gate.reporters.console import ConsoleReporter
from tests.reporters.samples import RAW_SECRETS, sample_report


@pytest.fixture
def report(tmp_path: Path) -> Report:
    return sample_report(tmp_path)


def test_header_tables_exceptions_and_verdict(report: Report) -> None:
    text = ConsoleReporter().render(report)
    lines = text.splitlines()
    assert lines[0] == f"gate 0.1.0  policy {report.policy_path} (enforce)"
    assert "  image     ghcr.io/acme/api:1.4.2" in lines
    assert f"  digest    sha256:{'d' * 64}" in lines
    assert "  platform  linux/amd64, 3 layer(s)" in lines
    assert (
        "secrets  6 finding(s): 5 blocking, 0 allowed, 1 suppressed  "
        "(files scanned 1234, bytes scanned 5678901)"
    ) in lines
    row = next(line for line in lines if "/app/.env:3" in line and "secret/" in line)
    assert row.split() == [
        "critical",
        "secret/aws-access-key-id",
        "/app/.env:3",
        "(layer",
        "2/3,",
        "deleted",
        "in",
        "layer",
        "3)",
        "AKIA****",
        "BLOCKING",
    ]
    assert any("<- services/api/Dockerfile:7" in line for line in lines)
    assert "  note: skipped-large-file x2: files over max_file_size: head scanned only" in lines
    # the vulnerability's exception expired: said next to the finding and in the exceptions
    assert any("ignore[2] expired on 2025-01-31: no longer suppresses" in line for line in lines)
    assert any(line.startswith("  expired     ignore[2] (rule=CVE-2024-6119)") for line in lines)
    assert any(line.startswith("  suppressed  medium secret/generic-password") for line in lines)
    assert any(line.startswith("  unused      ignore[1]") for line in lines)
    verdict = lines.index("FAIL: blocked by policy, 5 violation(s)")
    assert lines[verdict + 1 :] == [f"  - {v.message}" for v in report.decision.violations]


def test_plain_text_has_no_escape_codes_and_no_raw_secret(report: Report) -> None:
    text = ConsoleReporter().render(report)
    assert "\x1b[" not in text
    for raw in RAW_SECRETS:
        assert raw not in text
    assert "AKIA****" in text and "ghp_****" in text and "s3cr****" in text


def test_colour_on_request(report: Report) -> None:
    text = ConsoleReporter(color=True).render(report)
    assert "\x1b[1;31mFAIL\x1b[0m" in text
    for raw in RAW_SECRETS:
        assert raw not in text


def test_quiet_is_the_verdict_line_only(report: Report) -> None:
    assert ConsoleReporter(quiet=True).render(report) == "FAIL: blocked by policy, 5 violation(s)\n"


def test_pass_and_warn_lines(report: Report) -> None:
    passed = replace(report, decision=Decision(Verdict.PASS, "enforce", (), ()))
    assert ConsoleReporter(quiet=True).render(passed) == (
        "PASS: no policy violations (0 finding(s) within thresholds)\n"
    )
    warn = replace(
        report,
        decision=replace(report.decision, verdict=Verdict.PASS, mode="warn"),
    )
    assert (
        ConsoleReporter(quiet=True).render(warn) == "PASS (warn mode): 5 violation(s) would block\n"
    )
    error = replace(report, decision=replace(report.decision, verdict=Verdict.ERROR))
    assert ConsoleReporter(quiet=True).render(error) == "ERROR: the gate could not decide\n"


def test_no_findings_check(report: Report) -> None:
    empty = replace(report.checks[1], findings=())
    decision = replace(
        report.decision,
        findings=tuple(e for e in report.decision.findings if e.finding.check.value != "config"),
    )
    text = ConsoleReporter().render(replace(report, checks=(empty,), decision=decision))
    assert "config  0 finding(s): 0 blocking, 0 allowed, 0 suppressed\n  no findings\n" in text


def test_baseline_section(tmp_path: Path) -> None:
    first = sample_report(tmp_path)
    gone = first.decision.findings[0].finding
    kept = first.decision.findings[1].finding
    old = Baseline.from_findings((kept, replace(gone, fingerprint="0" * 40)))
    text = ConsoleReporter().render(sample_report(tmp_path, baseline=old))
    # the GitHub token is in the context and in the image: one fingerprint, two findings
    assert "baseline  6 new, 2 unchanged, 1 fixed" in text
    assert "  fixed  critical secret/aws-access-key-id at /app/.env:3" in text


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_for_stream_colour_only_on_a_terminal_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert ConsoleReporter.for_stream(_Tty()).color is True
    assert ConsoleReporter.for_stream(io.StringIO()).color is False
    monkeypatch.setenv("CI", "true")
    assert ConsoleReporter.for_stream(_Tty()).color is False
    monkeypatch.delenv("CI")
    monkeypatch.setenv("NO_COLOR", "1")
    assert ConsoleReporter.for_stream(_Tty()).color is False
