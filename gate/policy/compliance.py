"""Per-control compliance status, derived from the policy decision (never from raw findings).

A control fails when a finding of a rule tagged ``compliance:<regime>:<control>`` (or of a check
the control names, e.g. vulnerabilities for CIS 4.4) is reported and not suppressed by a policy
exception; it passes when such rules or checks ran and left no such finding; it is
``not-evaluated`` when nothing that evaluates it ran (an image rule in a Dockerfile-only run).
"""

from __future__ import annotations

from collections.abc import Sequence

from gate.analyzers.config.compliance import REGIMES, parse_tag
from gate.models import (
    CheckResult,
    ControlResult,
    Decision,
    FindingStatus,
    Fingerprint,
)


def known_regimes() -> tuple[str, ...]:
    return tuple(REGIMES)


def compliance_summary(
    checks: Sequence[CheckResult], decision: Decision, regimes: Sequence[str]
) -> tuple[ControlResult, ...]:
    rule_controls: dict[str, set[tuple[str, str]]] = {}
    for result in checks:
        for rule in result.rules:
            for tag in rule.tags:
                parsed = parse_tag(tag)
                if parsed:
                    rule_controls.setdefault(rule.id, set()).add(parsed)
    ran = {r.check.value for r in checks}
    out: list[ControlResult] = []
    for regime_id in regimes:
        regime = REGIMES.get(regime_id)
        if regime is None:
            continue
        for control in regime.controls:
            key = (regime.id, control.id)
            rules = sorted(r for r, controls in rule_controls.items() if key in controls)
            checks_for = [c for c in control.checks if c in ran]
            failing: list[Fingerprint] = []
            suppressed = 0
            for evaluated in decision.findings:
                finding = evaluated.finding
                if finding.rule_id not in rules and finding.check.value not in checks_for:
                    continue
                if evaluated.status is FindingStatus.SUPPRESSED:
                    suppressed += 1
                else:
                    failing.append(finding.fingerprint)
            evaluated_by = tuple(rules) + tuple(f"check:{c}" for c in checks_for)
            if failing:
                status = "fail"
            elif evaluated_by:
                status = "pass"
            else:
                status = "not-evaluated"
            out.append(
                ControlResult(
                    regime=regime.id,
                    control=control.id,
                    title=control.title,
                    status=status,
                    rules=evaluated_by,
                    findings=tuple(dict.fromkeys(failing)),
                    suppressed=suppressed,
                )
            )
    return tuple(out)
