"""Markdown report: the body of the PR/MR comment and of the GitHub job summary.

Layout: the hidden marker the comment is found again by (``<!-- gate:report image=<id> -->``),
the verdict, the target, counts per check and severity, every violation; then the findings a
reviewer acts on first: with a baseline, **new** and **fixed** findings, then the unchanged
ones; without one, the blocking findings, then the others; suppressed findings last, folded.

Everything that comes from the image or the context (paths, messages, evidence) is rendered
inert: in code spans with ``|`` escaped for GFM tables, or with Markdown and HTML special
characters as character references, so a hostile file name cannot ping people, link, or break
the table. The body is cut to ``max_bytes`` (GitHub comments: 65,536 characters; counted as
UTF-8 bytes, which is never fewer) by showing fewer rows, and says so.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from gate.models import (
    Check,
    EvaluatedFinding,
    Finding,
    FindingStatus,
    Report,
    Severity,
    Verdict,
)
from gate.reporters.console import location_text
from gate.reporters.github_limits import COMMENT_MAX_CHARS, priority
from gate.reporters.identity import comment_marker

_ICONS = {
    Severity.CRITICAL: "🔴",
    Severity.HIGH: "🟠",
    Severity.MEDIUM: "🟡",
    Severity.LOW: "🔵",
    Severity.INFO: "⚪",
}
_MAX_CELL = 240
# C0 controls, and the bidirectional overrides a file name could use to disguise itself.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]+")
_SPECIAL = {c: f"&#{ord(c)};" for c in "&<>|@#`*_[]\\~!"}


@dataclass(frozen=True)
class _Table:
    title: str
    rows: tuple[str, ...]
    header: str
    folded: bool = False


class MarkdownReporter:
    """``--markdown FILE``; the PR/MR comment and the job summary.

    ``notes``: extra lines for the reader, e.g. that the SARIF upload was trimmed.
    ``max_bytes``: the size limit of where the text goes.
    """

    name = "markdown"
    default_filename = "gate-report.md"

    def __init__(
        self, *, notes: Sequence[str] = (), max_bytes: int = COMMENT_MAX_CHARS
    ) -> None:
        self.notes = tuple(notes)
        self.max_bytes = max_bytes

    def render(self, report: Report) -> str:
        tables = _tables(report)
        total = sum(len(t.rows) for t in tables)
        text = self._compose(report, tables, total)
        if _size(text) <= self.max_bytes:
            return text
        # Fewest rows dropped that fit: a binary search over the rows shown.
        low, high = 0, total
        while low < high:
            middle = (low + high + 1) // 2
            if _size(self._compose(report, tables, middle)) <= self.max_bytes:
                low = middle
            else:
                high = middle - 1
        text = self._compose(report, tables, low)
        if _size(text) <= self.max_bytes:
            return text
        # Not even the header fits (thousands of violations): cut it, marker kept.
        cut = "\n\n_(report cut to the comment size limit; see the JSON report)_\n"
        budget = self.max_bytes - _size(cut)
        return text.encode("utf-8")[:budget].decode("utf-8", "ignore") + cut

    def _compose(self, report: Report, tables: Sequence[_Table], shown: int) -> str:
        lines = [comment_marker(report)]
        lines += _head(report)
        lines += _counts(report)
        lines += _violations(report)
        total = sum(len(t.rows) for t in tables)
        budget = shown
        for table in tables:
            rows = table.rows[: max(budget, 0)]
            budget -= len(rows)
            lines += _render_table(table, rows)
        notes = list(self.notes)
        if shown < total:
            notes.insert(
                0,
                f"Showing {shown:,} of {total:,} findings to stay within the size limit of "
                "this comment; the JSON and SARIF reports have all of them.",
            )
        notes += _exception_notes(report)
        if notes:
            lines.append("")
            lines += [f"> {_text(note)}  " for note in notes]
        lines.append("")
        lines.append(
            f"<sub>gate {_text(report.tool_version)} · {report.generated_at} · "
            f"{report.duration_seconds:.1f} s</sub>"
        )
        return "\n".join(lines) + "\n"


# -- sections ---------------------------------------------------------------------------------


def _head(report: Report) -> list[str]:
    decision = report.decision
    n = len(decision.violations)
    if decision.verdict is Verdict.FAIL:
        verdict = f"❌ **FAIL**: blocked by policy, {n} violation(s)"
    elif decision.verdict is Verdict.ERROR:
        verdict = "⛔ **ERROR**: the gate could not decide"
    elif n:
        verdict = f"⚠️ **PASS** (warn mode): {n} violation(s) would block"
    else:
        verdict = "✅ **PASS**: no policy violations"
    lines = [f"### gate: {verdict}", ""]
    target = []
    if report.image is not None:
        image = report.image
        target.append(
            f"**Image** {_code(image.reference)} {_code(_short_digest(image.manifest_digest))} "
            f"{_text(image.platform)}, {len(image.layers)} layer(s)"
        )
    if report.context_path is not None:
        target.append(f"**Context** {_code(report.context_path)}")
    checks = ", ".join(c.value for c in decision.checks_run) or "none"
    target.append(f"**Policy** {_code(report.policy_path)} ({decision.mode}) · checks: {checks}")
    lines.append("  \n".join(target))
    return lines


def _counts(report: Report) -> list[str]:
    decision = report.decision
    checks = list(dict.fromkeys([*decision.checks_run, *(r.check for r in report.checks)]))
    shown = [e for e in decision.findings if e.status is not FindingStatus.SUPPRESSED]
    by_check = Counter((e.finding.check, e.finding.severity) for e in shown)
    blocking = Counter(e.finding.check for e in shown if e.status is FindingStatus.BLOCKING)
    suppressed = Counter(
        e.finding.check for e in decision.findings if e.status is FindingStatus.SUPPRESSED
    )
    marks = Counter((e.finding.check, e.baseline) for e in decision.findings if e.baseline)
    fixed = Counter(f.check for f in decision.fixed)
    with_baseline = bool(marks) or bool(decision.fixed)
    severities = list(Severity)
    header = "| Check | " + " | ".join(f"{_ICONS[s]} {s.value}" for s in severities)
    header += " | Blocking | Suppressed |"
    align = "|:--|" + "--:|" * (len(severities) + 2)
    if with_baseline:
        header += " New | Fixed |"
        align += "--:|--:|"
    lines = ["", header, align]

    def row(name: str, pick: list[Check]) -> str:
        cells = [str(sum(by_check[(c, s)] for c in pick)) for s in severities]
        cells += [str(sum(blocking[c] for c in pick)), str(sum(suppressed[c] for c in pick))]
        if with_baseline:
            cells += [str(sum(marks[(c, "new")] for c in pick)), str(sum(fixed[c] for c in pick))]
        return f"| {name} | " + " | ".join(cells) + " |"

    for check in checks:
        lines.append(row(check.value, [check]))
    if len(checks) > 1:
        lines.append(row("**total**", checks))
    return lines


def _violations(report: Report) -> list[str]:
    violations = report.decision.violations
    if not violations:
        return []
    lines = ["", f"**Violations ({len(violations)})**", ""]
    lines += [f"- {_text(v.message)}" for v in violations]
    return lines


_FINDING_HEADER = "| Severity | Rule | Location | Evidence | Status |\n|:--|:--|:--|:--|:--|"
_FIXED_HEADER = "| Severity | Rule | Location | Evidence |\n|:--|:--|:--|:--|"


def _tables(report: Report) -> list[_Table]:
    decision = report.decision
    layers = len(report.image.layers) if report.image else None
    ordered = sorted(decision.findings, key=priority)
    active = [e for e in ordered if e.status is not FindingStatus.SUPPRESSED]
    suppressed = [e for e in ordered if e.status is FindingStatus.SUPPRESSED]
    with_baseline = any(e.baseline for e in decision.findings) or bool(decision.fixed)
    tables: list[_Table] = []
    if with_baseline:
        new = [e for e in active if e.baseline == "new"]
        known = [e for e in active if e.baseline != "new"]
        tables.append(_Table(f"New findings ({len(new)})", _rows(new, layers), _FINDING_HEADER))
        fixed = sorted(decision.fixed, key=lambda f: -f.severity.rank)
        tables.append(
            _Table(
                f"Fixed since the baseline ({len(fixed)})",
                tuple(_fixed_row(f, layers) for f in fixed),
                _FIXED_HEADER,
            )
        )
        tables.append(
            _Table(f"Unchanged findings ({len(known)})", _rows(known, layers), _FINDING_HEADER,
                   folded=True)
        )
    else:
        blocking = [e for e in active if e.status is FindingStatus.BLOCKING]
        allowed = [e for e in active if e.status is not FindingStatus.BLOCKING]
        if blocking:
            tables.append(
                _Table(f"Blocking findings ({len(blocking)})", _rows(blocking, layers),
                       _FINDING_HEADER)
            )
        title = "Other findings" if blocking else "Findings"
        tables.append(
            _Table(f"{title} ({len(allowed)})", _rows(allowed, layers), _FINDING_HEADER,
                   folded=bool(blocking))
        )
    if suppressed:
        tables.append(
            _Table(
                f"Suppressed by policy exceptions ({len(suppressed)})",
                _rows(suppressed, layers),
                _FINDING_HEADER,
                folded=True,
            )
        )
    return tables


def _render_table(table: _Table, rows: Sequence[str]) -> list[str]:
    if not table.rows:
        return ["", f"**{table.title}**: none"] if not table.folded else []
    body = [table.header, *rows] if rows else ["_(not shown: size limit)_"]
    if table.folded:
        return ["", f"<details><summary>{table.title}</summary>", "", *body, "", "</details>"]
    return ["", f"**{table.title}**", "", *body]


def _rows(findings: Sequence[EvaluatedFinding], layers: int | None) -> tuple[str, ...]:
    return tuple(_row(e, layers) for e in findings)


def _row(evaluated: EvaluatedFinding, layers: int | None) -> str:
    f = evaluated.finding
    status = evaluated.status.value
    if evaluated.status is FindingStatus.BLOCKING:
        status = "**blocking**"
    detail = f"{_text(f.message)}<br><sub>{_text(evaluated.reason)}</sub>"
    evidence = _code(f.evidence) if f.evidence else "-"
    return (
        f"| {_ICONS[f.severity]} {f.severity.value} | {_code(f.rule_id)}<br>{detail} "
        f"| {_code(location_text(f.location, layers))} | {evidence} | {status} |"
    )


def _fixed_row(finding: Finding, layers: int | None) -> str:
    evidence = _code(finding.evidence) if finding.evidence else "-"
    return (
        f"| {_ICONS[finding.severity]} {finding.severity.value} | {_code(finding.rule_id)} "
        f"| {_code(location_text(finding.location, layers))} | {evidence} |"
    )


def _exception_notes(report: Report) -> list[str]:
    decision = report.decision
    notes = []
    for ref in decision.expired_exceptions:
        notes.append(f"Policy exception ignore[{ref.index}] expired on {ref.expires}: {ref.reason}")
    if decision.unused_exceptions:
        indexes = ", ".join(f"ignore[{ref.index}]" for ref in decision.unused_exceptions)
        notes.append(f"Policy exceptions that matched no finding: {indexes}")
    return notes


# -- escaping ---------------------------------------------------------------------------------


def _clean(text: str) -> str:
    text = _CONTROL.sub(" ", text).strip()
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 1] + "…"


def _text(text: str) -> str:
    """Free text, inert: Markdown/HTML specials and ``@``/``#`` as character references."""
    return "".join(_SPECIAL.get(c, c) for c in _clean(text))


def _code(text: str) -> str:
    """A code span (no Markdown, no mentions inside); ``|`` escaped for GFM tables and a
    backtick fence longer than any backtick run in the text (CommonMark §6.1)."""
    body = _clean(text).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if body.startswith("`") or body.endswith("`") or not body else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def _short_digest(digest: str) -> str:
    algorithm, _, hexpart = digest.partition(":")
    return f"{algorithm}:{hexpart[:12]}" if hexpart else digest


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


__all__ = ["MarkdownReporter"]
