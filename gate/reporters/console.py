"""Console report: what a developer reads in a CI log or a terminal.

Header (image, digest, platform, policy), one table per check (severity, rule, location with
its layer, masked evidence, status), suppressed findings and exceptions, notes, then the
verdict with every violation. Plain text by default (CI logs); ANSI colour only when asked
(:meth:`ConsoleReporter.for_stream` asks when the stream is a terminal outside CI). Evidence is
shown only in the masked form the analyzers produced.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from typing import TextIO

from gate.models import (
    CheckResult,
    Decision,
    EvaluatedFinding,
    ExceptionRef,
    Finding,
    FindingStatus,
    Location,
    Report,
    Verdict,
)

_RESET = "\x1b[0m"
_STYLES = {
    "critical": "\x1b[1;31m",
    "high": "\x1b[31m",
    "medium": "\x1b[33m",
    "low": "\x1b[34m",
    "info": "\x1b[2m",
    "fail": "\x1b[1;31m",
    "pass": "\x1b[1;32m",
    "warn": "\x1b[1;33m",
    "dim": "\x1b[2m",
    "bold": "\x1b[1m",
}
_STATUS_ORDER = {FindingStatus.BLOCKING: 0, FindingStatus.ALLOWED: 1, FindingStatus.SUPPRESSED: 2}


class ConsoleReporter:
    """Human-readable summary. ``color``: ANSI styles; ``quiet``: only the verdict line."""

    name = "console"
    default_filename = "gate.txt"

    def __init__(self, *, color: bool = False, quiet: bool = False) -> None:
        self.color = color
        self.quiet = quiet

    @classmethod
    def for_stream(cls, stream: TextIO, *, quiet: bool = False) -> ConsoleReporter:
        """Colour on a terminal, plain in CI (``CI=true``) and with ``NO_COLOR`` set."""
        tty = hasattr(stream, "isatty") and stream.isatty()
        ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
        return cls(color=tty and not ci and not os.environ.get("NO_COLOR"), quiet=quiet)

    def render(self, report: Report) -> str:
        if self.quiet:
            return self._verdict_line(report.decision) + "\n"
        lines: list[str] = []
        lines += self._header(report)
        by_check: dict[str, list[EvaluatedFinding]] = {}
        for evaluated in report.decision.findings:
            by_check.setdefault(evaluated.finding.check.value, []).append(evaluated)
        layers = len(report.image.layers) if report.image else None
        for result in report.checks:
            lines.append("")
            lines += self._check(result, by_check.get(result.check.value, []), layers)
        lines += self._exceptions(report.decision, layers)
        lines += self._baseline(report.decision, layers)
        lines.append("")
        lines.append(self._verdict_line(report.decision))
        for violation in report.decision.violations:
            lines.append(f"  - {violation.message}")
        return "\n".join(lines) + "\n"

    # -- pieces ------------------------------------------------------------------------

    def _style(self, style: str, text: str) -> str:
        if not self.color or style not in _STYLES:
            return text
        return f"{_STYLES[style]}{text}{_RESET}"

    def _header(self, report: Report) -> list[str]:
        mode = report.decision.mode
        lines = [
            self._style("bold", f"gate {report.tool_version}")
            + f"  policy {report.policy_path} ({mode})"
        ]
        if report.image is not None:
            image = report.image
            lines.append(f"  image     {image.reference}")
            lines.append(f"  digest    {image.manifest_digest}")
            lines.append(f"  platform  {image.platform}, {len(image.layers)} layer(s)")
        if report.context_path is not None:
            lines.append(f"  context   {report.context_path}")
        checks = ", ".join(c.value for c in report.decision.checks_run) or "none"
        lines.append(f"  checks    {checks}")
        return lines

    def _check(
        self, result: CheckResult, evaluated: Sequence[EvaluatedFinding], layers: int | None
    ) -> list[str]:
        shown = [e for e in evaluated if e.status is not FindingStatus.SUPPRESSED]
        counts = Counter(e.status for e in evaluated)
        summary = (
            f"{len(evaluated)} finding(s): {counts[FindingStatus.BLOCKING]} blocking, "
            f"{counts[FindingStatus.ALLOWED]} allowed, "
            f"{counts[FindingStatus.SUPPRESSED]} suppressed"
        )
        stats = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in result.stats.items())
        head = self._style("bold", result.check.value) + f"  {summary}"
        lines = [head + (f"  ({stats})" if stats else "")]
        if shown:
            rows = [
                (
                    e.finding.severity.value,
                    e.finding.rule_id,
                    location_text(e.finding.location, layers),
                    e.finding.evidence or "-",
                    e.status.value.upper(),
                )
                for e in sorted(shown, key=_order)
            ]
            header = ("SEVERITY", "RULE", "LOCATION", "EVIDENCE", "STATUS")
            widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
            titles = [h.ljust(w) for h, w in zip(header, widths, strict=True)]
            lines.append("  " + "  ".join(titles).rstrip())
            for row, e in zip(rows, sorted(shown, key=_order), strict=True):
                cells = [str(c).ljust(w) for c, w in zip(row, widths, strict=True)]
                cells[0] = self._style(e.finding.severity.value, cells[0])
                if e.status is FindingStatus.BLOCKING:
                    cells[4] = self._style("fail", cells[4])
                lines.append("  " + "  ".join(cells).rstrip())
                lines.append("      " + self._style("dim", e.finding.message))
                if e.exception is not None and e.exception.expired:
                    lines.append(
                        "      "
                        + self._style("warn", f"ignore[{e.exception.index}] expired")
                        + f" on {e.exception.expires}: no longer suppresses this finding"
                    )
        elif not evaluated:
            lines.append("  no findings")
        for note in result.notes:
            lines.append(f"  note: {note.kind} x{note.count}: {note.detail}")
        return lines

    def _exceptions(self, decision: Decision, layers: int | None) -> list[str]:
        suppressed = [e for e in decision.findings if e.status is FindingStatus.SUPPRESSED]
        if not (suppressed or decision.expired_exceptions or decision.unused_exceptions):
            return []
        lines = ["", self._style("bold", "exceptions")]
        for e in sorted(suppressed, key=_order):
            f = e.finding
            lines.append(
                f"  suppressed  {f.severity.value} {f.rule_id} at "
                f"{location_text(f.location, layers)}  {f.evidence or ''}".rstrip()
            )
            lines.append(f"              {e.reason}")
        for ref in decision.expired_exceptions:
            lines.append(
                "  " + self._style("warn", "expired") + f"     {_exception_text(ref)}: expired "
                f"{ref.expires}, no longer applies ({ref.reason})"
            )
        for ref in decision.unused_exceptions:
            lines.append(f"  unused      {_exception_text(ref)}: matched no finding ({ref.reason})")
        return lines

    def _baseline(self, decision: Decision, layers: int | None) -> list[str]:
        marks = Counter(e.baseline for e in decision.findings if e.baseline)
        if not marks and not decision.fixed:
            return []
        lines = [
            "",
            self._style("bold", "baseline")
            + f"  {marks['new']} new, {marks['unchanged']} unchanged, {len(decision.fixed)} fixed",
        ]
        for finding in decision.fixed:
            lines.append(f"  fixed  {_finding_line(finding, layers)}")
        return lines

    def _verdict_line(self, decision: Decision) -> str:
        n = len(decision.violations)
        if decision.verdict is Verdict.FAIL:
            return self._style("fail", "FAIL") + f": blocked by policy, {n} violation(s)"
        if decision.verdict is Verdict.ERROR:
            return self._style("fail", "ERROR") + ": the gate could not decide"
        if n:
            return self._style("warn", "PASS") + f" (warn mode): {n} violation(s) would block"
        blocking_free = sum(e.status is not FindingStatus.SUPPRESSED for e in decision.findings)
        return (
            self._style("pass", "PASS")
            + f": no policy violations ({blocking_free} finding(s) within thresholds)"
        )


def location_text(location: Location, layers: int | None = None) -> str:
    """``/app/.env:3 (layer 2/5, deleted in layer 4) <- Dockerfile:7``; layers 1-based."""
    text = location.path
    if location.start_line is not None:
        text += f":{location.start_line}"
    where: list[str] = []
    if location.layer is not None:
        total = f"/{layers}" if layers else ""
        where.append(f"layer {location.layer.index + 1}{total}")
    if location.removed_in is not None:
        where.append(f"deleted in layer {location.removed_in.index + 1}")
    if where:
        text += f" ({', '.join(where)})"
    if location.attributed_to is not None:
        attributed = location.attributed_to
        line = f":{attributed.start_line}" if attributed.start_line else ""
        text += f" <- {attributed.path}{line}"
    return text


def _order(e: EvaluatedFinding) -> tuple[int, int, str, str]:
    f = e.finding
    return (_STATUS_ORDER[e.status], -f.severity.rank, f.rule_id, f.location.path)


def _exception_text(ref: ExceptionRef) -> str:
    parts = [
        f"{name}={value}"
        for name, value in (
            ("rule", ref.rule),
            ("fingerprint", ref.fingerprint),
            ("path", ref.path),
        )
        if value
    ]
    return f"ignore[{ref.index}]" + (f" ({', '.join(parts)})" if parts else "")


def _finding_line(finding: Finding, layers: int | None) -> str:
    evidence = f"  {finding.evidence}" if finding.evidence else ""
    where = location_text(finding.location, layers)
    return f"{finding.severity.value} {finding.rule_id} at {where}{evidence}"


__all__ = ["ConsoleReporter", "location_text"]
