"""``gate check --compliance``: a per-control pass/fail table and the findings behind each
failure. Renders :attr:`Report.compliance`, which the pipeline derived from the decision."""

from __future__ import annotations

from gate.models import Report


class ComplianceReporter:
    name = "compliance"
    default_filename = "gate-compliance.txt"

    def render(self, report: Report) -> str:
        if not report.compliance:
            return "compliance: no regime selected (policy config.compliance or --compliance)\n"
        by_fingerprint = {e.finding.fingerprint: e.finding for e in report.decision.findings}
        lines: list[str] = []
        regime = None
        width = max(len(c.control) for c in report.compliance)
        for control in report.compliance:
            if control.regime != regime:
                regime = control.regime
                counts = {
                    s: sum(1 for c in report.compliance if c.regime == regime and c.status == s)
                    for s in ("pass", "fail", "not-evaluated")
                }
                lines.append("")
                lines.append(
                    f"compliance {regime}: {counts['pass']} pass, {counts['fail']} fail, "
                    f"{counts['not-evaluated']} not evaluated"
                )
            status = control.status.upper()
            extra = ""
            if control.suppressed:
                extra = f" ({control.suppressed} suppressed by exceptions)"
            lines.append(f"  {status:<13} {control.control:<{width}}  {control.title}{extra}")
            for fp in control.findings[:10]:
                finding = by_fingerprint.get(fp)
                if finding is None:
                    continue
                where = finding.location.path
                if finding.location.start_line:
                    where += f":{finding.location.start_line}"
                attributed = finding.location.attributed_to
                if attributed is not None and attributed.start_line:
                    where += f" <- {attributed.path}:{attributed.start_line}"
                lines.append(
                    f"      {finding.severity.value} {finding.rule_id} at {where}"
                )
            if len(control.findings) > 10:
                lines.append(f"      ... and {len(control.findings) - 10} more")
        return "\n".join(lines).lstrip("\n") + "\n"
