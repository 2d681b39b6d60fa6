"""Markdown report (PR/MR comment, job summary): marker, verdict, counts, new/fixed first,
size limit, inert rendering of hostile image content, no raw secret."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from gate.models import Check, FindingStatus
from gate.policy.baseline import Baseline
from gate.reporters.github_limits import COMMENT_MAX_CHARS
from gate.reporters.markdown import MarkdownReporter
from tests.reporters.ci_samples import (
    REAL_SECRETS,
    hostile_report,
    many_findings,
    secrets_report,
)
from tests.reporters.samples import RAW_SECRETS, sample_report


def table_rows(text: str, header_start: str) -> list[list[str]]:
    """Cells of the GFM table whose header starts with ``header_start`` (unescaped pipes)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def test_marker_verdict_counts_and_violations(tmp_path: Path) -> None:
    report = sample_report(tmp_path)
    text = MarkdownReporter().render(report)
    assert text.splitlines()[0] == "<!-- gate:report image=ghcr.io/acme/api -->"
    assert "❌ **FAIL**: blocked by policy, 5 violation(s)" in text
    counts = {row[0]: row[1:] for row in table_rows(text, "| Check |")}
    # columns: critical high medium low info blocking suppressed
    assert counts["secrets"] == ["2", "2", "1", "0", "0", "5", "1"]
    assert counts["config"] == ["0", "1", "0", "0", "0", "1", "0"]
    assert counts["vulnerabilities"] == ["0", "1", "0", "0", "0", "1", "0"]
    assert counts["**total**"] == ["2", "4", "1", "0", "0", "7", "1"]
    for violation in report.decision.violations:
        assert f"- {violation.message}" in text
    # blocking findings come first, suppressed ones are folded away, the expired exception
    # and the unused one are named
    assert text.index("**Blocking findings (7)**") < text.index("Suppressed by policy")
    assert "<details><summary>Suppressed by policy exceptions (1)</summary>" in text
    assert "ignore&#91;2&#93; expired on 2025-01-31" in text
    assert "matched no finding: ignore&#91;1&#93;" in text
    blocking = table_rows(text, "| Severity | Rule |")
    assert len(blocking) == 7
    assert [row[0] for row in blocking[:2]] == ["🔴 critical", "🔴 critical"]
    for raw in RAW_SECRETS:
        assert raw not in text


def test_with_a_baseline_new_and_fixed_come_first(tmp_path: Path) -> None:
    first = sample_report(tmp_path)
    gone = first.decision.findings[0].finding
    kept = first.decision.findings[1].finding
    baseline = Baseline.from_findings((kept, dataclasses.replace(gone, fingerprint="0" * 40)))
    text = MarkdownReporter().render(sample_report(tmp_path, baseline=baseline))
    new_at = text.index("**New findings (5)**")
    fixed_at = text.index("**Fixed since the baseline (1)**")
    unchanged_at = text.index("<details><summary>Unchanged findings (2)</summary>")
    assert new_at < fixed_at < unchanged_at
    header = next(line for line in text.splitlines() if line.startswith("| Check |"))
    assert header.endswith("| New | Fixed |")
    totals = {row[0]: row for row in table_rows(text, "| Check |")}["**total**"]
    assert totals[-2:] == ["6", "1"]  # 6 new (one of them suppressed), 1 fixed
    fixed_rows = table_rows(text[fixed_at:], "| Severity | Rule | Location | Evidence |")
    assert fixed_rows == [
        ["🔴 critical", "`secret/aws-access-key-id`",
         "`/app/.env:3 (layer 2/3, deleted in layer 3)`", "`AKIA****`"]
    ]


def test_trimmed_to_the_comment_limit_most_severe_first(tmp_path: Path) -> None:
    report = many_findings(tmp_path, 4000)
    text = MarkdownReporter().render(report)
    assert len(text.encode("utf-8")) <= COMMENT_MAX_CHARS
    assert len(text) <= COMMENT_MAX_CHARS
    assert text.startswith("<!-- gate:report image=ghcr.io/acme/api -->\n")
    match = re.search(r"Showing ([\d,]+) of 4,000 findings", text)
    assert match is not None
    shown = int(match.group(1).replace(",", ""))
    assert 50 < shown < 4000
    rows = table_rows(text, "| Severity | Rule |")
    # the blocking table is shown first, most severe first
    assert rows[0][0] == "🔴 critical" and rows[0][-1] == "**blocking**"
    # the same text without the limit is much longer: the limit did the cutting
    assert len(MarkdownReporter(max_bytes=10**8).render(report)) > 4 * COMMENT_MAX_CHARS


def test_a_tiny_limit_still_yields_the_marker(tmp_path: Path) -> None:
    text = MarkdownReporter(max_bytes=300).render(sample_report(tmp_path))
    assert len(text.encode()) <= 300
    assert text.startswith("<!-- gate:report image=ghcr.io/acme/api -->")
    assert "cut to the comment size limit" in text


def outside_code_spans(text: str) -> str:
    """The text with every code span removed (CommonMark 6.1: a backtick string opens, the next
    backtick string of the same length closes)."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "`":
            run = re.match(r"`+", text[i:])
            assert run is not None
            fence = run.group(0)
            close = re.search(rf"(?<!`){fence}(?!`)", text[i + len(fence):])
            if close is not None:
                i += len(fence) + close.end()
                continue
        out.append(text[i])
        i += 1
    return "".join(out)


def test_hostile_image_content_is_inert(tmp_path: Path) -> None:
    text = MarkdownReporter().render(hostile_report(tmp_path))
    # the marker cannot be closed early by the image name
    first = text.splitlines()[0]
    assert first.startswith("<!-- gate:report image=") and first.count("-->") == 1
    # outside code spans (where nothing is interpreted), no markup and no mention survives
    prose = outside_code_spans(text)
    for needle in ("<img", "<script", "@octocat", "@admin", "**b**", "[l](", " #1 "):
        assert needle not in prose, needle
    assert "<img src=x" in text  # shown, as code
    assert "\x00" not in text and "\x07" not in text and "\u202e" not in text
    assert "\r" not in text
    # every finding row still has exactly the five cells of its table
    for row in table_rows(text, "| Severity | Rule |"):
        assert len(row) == 5, row
    # ... and no line of the body starts a workflow command or a heading from image text
    assert not any(line.startswith(("::", "#")) and "gate:" not in line
                   for line in text.splitlines())


def test_notes_are_shown(tmp_path: Path) -> None:
    text = MarkdownReporter(notes=["The SARIF report trimmed to GitHub's limit"]).render(
        sample_report(tmp_path)
    )
    assert "\n> The SARIF report trimmed to GitHub's limit  \n" in text


def test_real_secrets_check_report(tmp_path: Path) -> None:
    report = secrets_report(tmp_path)
    text = MarkdownReporter().render(report)
    assert text.splitlines()[0] == "<!-- gate:report image=context:ctx -->"
    rows = table_rows(text, "| Severity | Rule |")
    assert {row[1].split("<br>")[0] for row in rows} == {
        "`secret/aws-access-key-id`", "`secret/stripe-secret-key`", "`secret/slack-bot-token`"
    }
    for raw in REAL_SECRETS:
        assert raw not in text
    passing = secrets_report(
        tmp_path / "again",
        'extends = "default"\n[secrets]\nthresholds = { critical = 9, high = 9, medium = 9 }\n',
    )
    assert all(e.status is FindingStatus.ALLOWED for e in passing.decision.findings)
    text = MarkdownReporter().render(passing)
    assert "✅ **PASS**: no policy violations" in text
    assert "**Findings (3)**" in text
    assert passing.decision.checks_run == (Check.SECRETS,)
