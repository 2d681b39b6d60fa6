"""Policy evaluation: the one place that decides what blocks.

Order (each step sees only what the previous ones kept):

1. Exceptions (``[[ignore]]``): a finding matched by an unexpired exception is SUPPRESSED and
   counts nowhere. Expired exceptions never apply; they are listed in the decision, as are
   exceptions that matched nothing.
2. Per-rule overrides (``[config.rules."ID"]``): disabled rules and findings outside an
   override's ``paths``/``stages`` scope are dropped; ``severity`` re-grades.
3. Vulnerability filters (``min_cvss``, ``only_fixed``) drop advisory findings.
4. Thresholds: findings are counted per (check, severity); every exceeded limit is a
   :class:`~gate.models.Violation` (all of them, not the first) and the findings counted
   against it are BLOCKING. With ``gate_on = "new"`` and a baseline, only new findings count.
   A required signature blocks on any signature finding, baseline or not.

Warn mode lists the same violations but passes. Evaluation returns data and raises nothing:
a policy is validated when it is loaded.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence, Set
from dataclasses import dataclass, replace

from gate.models import (
    Check,
    CheckResult,
    Decision,
    EvaluatedFinding,
    ExceptionRef,
    Finding,
    FindingStatus,
    Severity,
    Verdict,
    Violation,
)
from gate.policy.baseline import Baseline
from gate.policy.matching import (
    any_path_matches,
    finding_ids,
    package_names,
    version_in_range,
    vex_reason,
)
from gate.policy.model import IgnoreRule, Policy, RuleOverride, Thresholds

ADVISORY_DB_UPDATED = "advisory_db_updated"
"""Key of :attr:`CheckResult.metadata` (vulnerabilities check): the advisory database's last
update, ISO 8601 date or date-time. Checked against ``vulnerabilities.max_db_age_days``."""

ADVISORY_DB_AGE_RULE = "vuln/advisory-database-age"
"""The finding the vulnerabilities check reports for a database older than the policy allows.
It blocks through the database-age violation, never through a threshold (no double count)."""


@dataclass(frozen=True)
class _Kept:
    finding: Finding
    exception: IgnoreRule | None
    expired_match: IgnoreRule | None
    vex: str | None = None
    """Suppressed by a VEX ``not_affected`` statement: the reason."""


def evaluate(
    policy: Policy,
    results: Sequence[CheckResult],
    *,
    today: dt.date,
    checks_run: Sequence[Check],
    baseline: Baseline | Set[str] | None = None,
    fail_on: Severity | str | None = None,
) -> Decision:
    """Decide pass/fail for ``results`` under ``policy``.

    ``baseline``: a :class:`Baseline` (or a plain set of fingerprints, then nothing can be
    listed as fixed). ``fail_on``: ``--fail-on``; limit 0 for that severity and worse, every check.
    """
    if isinstance(baseline, Baseline):
        base: Baseline | None = baseline
    elif baseline is not None:
        base = Baseline(frozenset(baseline))
    else:
        base = None
    floor = Severity(fail_on) if fail_on is not None else None
    active = [rule for rule in policy.ignore if not rule.is_expired(today)]
    expired = [rule for rule in policy.ignore if rule.is_expired(today)]
    active_index, expired_index = _ExceptionIndex(active), _ExceptionIndex(expired)
    used: set[int] = set()

    kept: list[_Kept] = []
    for result in results:
        for finding in result.findings:
            matches = active_index.matching(finding)
            used.update(rule.index for rule in matches)
            if matches:
                kept.append(_Kept(finding, matches[0], None))
                continue
            vex = vex_reason(finding)
            if vex is not None:
                kept.append(_Kept(finding, None, None, vex))
                continue
            effective = _apply_override(policy, finding)
            if effective is None or _filtered_out(policy, effective):
                continue
            lapsed = expired_index.matching(effective)
            kept.append(_Kept(effective, None, lapsed[0] if lapsed else None))

    counted = [
        k
        for k in kept
        if k.exception is None
        and k.vex is None
        and k.finding.rule_id != ADVISORY_DB_AGE_RULE
        and _counts(policy, k.finding, base)
    ]
    tally = Counter((k.finding.check, k.finding.severity) for k in counted)
    violations: list[Violation] = []
    exceeded: dict[tuple[Check, Severity], str] = {}
    for check in _checks_in_order(results, checks_run):
        limits = _thresholds(policy, check, floor)
        if limits is None:
            continue
        for severity, limit in limits.items():
            count = tally.get((check, severity), 0)
            if count > limit:
                reason = (
                    f"{check.value} allows at most {limit} {severity.value} finding(s); "
                    f"{count} counted"
                )
                exceeded[(check, severity)] = reason
                violations.append(Violation(check, reason))

    signature_blocks = policy.signature.required
    blocking_reasons: dict[int, str] = {}
    for k in counted:
        key = (k.finding.check, k.finding.severity)
        if key in exceeded:
            blocking_reasons[id(k)] = exceeded[key]
    if signature_blocks:
        # INFO-level signature findings are remarks (e.g. which signer verified), not failures.
        for k in kept:
            if (
                k.exception is None
                and k.vex is None
                and k.finding.check is Check.SIGNATURE
                and k.finding.severity is not Severity.INFO
            ):
                reason = f"signature.required: {k.finding.message}"
                blocking_reasons.setdefault(id(k), reason)
                violations.append(Violation(Check.SIGNATURE, reason))

    stale = _database_age(policy, results, today)
    violations.extend(stale)
    for k in kept:
        if stale and k.exception is None and k.finding.rule_id == ADVISORY_DB_AGE_RULE:
            blocking_reasons.setdefault(id(k), stale[0].message)

    enforce = policy.mode == "enforce"
    evaluated = tuple(
        _evaluated(k, blocking_reasons.get(id(k)), enforce, policy, base, today) for k in kept
    )
    current = {f.fingerprint for r in results for f in r.findings}
    fixed: tuple[Finding, ...] = ()
    if base is not None:
        ran = set(checks_run)
        fixed = tuple(f for f in base.findings if f.fingerprint not in current and f.check in ran)
    return Decision(
        verdict=Verdict.FAIL if violations and enforce else Verdict.PASS,
        mode=policy.mode,
        violations=tuple(violations),
        findings=evaluated,
        expired_exceptions=tuple(rule.ref(today) for rule in expired),
        unused_exceptions=tuple(rule.ref(today) for rule in active if rule.index not in used),
        checks_run=tuple(checks_run),
        fixed=fixed,
    )


def _checks_in_order(results: Sequence[CheckResult], checks_run: Sequence[Check]) -> list[Check]:
    return list(dict.fromkeys([*checks_run, *(r.check for r in results)]))


def _thresholds(policy: Policy, check: Check, floor: Severity | None) -> Thresholds | None:
    limits = policy.thresholds(check)
    if floor is not None:
        limits = (limits or Thresholds()).with_fail_on(floor)
    return limits


class _ExceptionIndex:
    """Exceptions looked up by rule id and fingerprint, so matching a finding costs the few
    exceptions that name it, not all of them (the loader ensures each names one or both)."""

    def __init__(self, rules: Sequence[IgnoreRule]) -> None:
        self.by_rule: dict[str, list[IgnoreRule]] = {}
        self.by_fingerprint: dict[str, list[IgnoreRule]] = {}
        self.by_package: dict[str, list[IgnoreRule]] = {}
        for rule in rules:
            if rule.rule is not None:
                self.by_rule.setdefault(rule.rule.casefold(), []).append(rule)
            elif rule.fingerprint is not None:
                self.by_fingerprint.setdefault(rule.fingerprint, []).append(rule)
            elif rule.package is not None:
                self.by_package.setdefault(rule.package, []).append(rule)

    def matching(self, finding: Finding) -> list[IgnoreRule]:
        """Every exception whose criteria all hold, in policy order."""
        candidates = list(self.by_fingerprint.get(finding.fingerprint, ()))
        if self.by_rule:
            for finding_id in finding_ids(finding):
                candidates.extend(self.by_rule.get(finding_id, ()))
        if self.by_package:
            for name in package_names(finding):
                candidates.extend(self.by_package.get(name, ()))
        if not candidates:
            return []
        found = {r.index: r for r in candidates if _criteria_hold(r, finding)}
        return [found[i] for i in sorted(found)]


def _criteria_hold(rule: IgnoreRule, finding: Finding) -> bool:
    """Given a candidate found by rule id or fingerprint: do the other criteria hold too?"""
    if rule.fingerprint is not None and rule.fingerprint != finding.fingerprint:
        return False
    if rule.path is not None and not any_path_matches((rule.path,), finding.location):
        return False
    if rule.package is not None and rule.package not in package_names(finding):
        return False
    return rule.versions is None or version_in_range(finding, rule.versions)


def _apply_override(policy: Policy, finding: Finding) -> Finding | None:
    if finding.check is not Check.CONFIG:
        return finding
    override = policy.config.rules.get(finding.rule_id)
    if override is None:
        return finding
    if not override.enabled or not _in_scope(override, finding):
        return None
    if override.severity is not None and override.severity is not finding.severity:
        return replace(finding, severity=override.severity)
    return finding


def _in_scope(override: RuleOverride, finding: Finding) -> bool:
    if override.paths and not any_path_matches(override.paths, finding.location):
        return False
    if not override.stages:
        return True
    # Configuration findings name their build stage in properties: ``stage`` (name or index)
    # and ``final_stage`` (bool). A finding without stage facts is not scoped out.
    stage = finding.properties.get("stage")
    final = finding.properties.get("final_stage")
    if stage is None and final is None:
        return True
    for wanted in override.stages:
        if wanted == "final" and final is True:
            return True
        if stage is not None and str(stage) == wanted:
            return True
    return False


def _filtered_out(policy: Policy, finding: Finding) -> bool:
    if finding.check is not Check.VULNERABILITIES or finding.vulnerability_id is None:
        return False
    vulns = policy.vulnerabilities
    if (
        vulns.min_cvss > 0
        and finding.cvss_score is not None
        and finding.cvss_score < vulns.min_cvss
    ):
        return True
    return vulns.only_fixed and not finding.fixed_versions


def _counts(policy: Policy, finding: Finding, base: Baseline | None) -> bool:
    if policy.gate_on == "new" and base is not None:
        return finding.fingerprint not in base.fingerprints
    return True


def _evaluated(
    kept: _Kept,
    blocking: str | None,
    enforce: bool,
    policy: Policy,
    base: Baseline | None,
    today: dt.date,
) -> EvaluatedFinding:
    finding = kept.finding
    marker = None
    if base is not None:
        marker = "unchanged" if finding.fingerprint in base.fingerprints else "new"
    if kept.vex is not None:
        return EvaluatedFinding(
            finding=finding, status=FindingStatus.SUPPRESSED, reason=kept.vex, baseline=marker
        )
    if kept.exception is not None:
        rule = kept.exception
        return EvaluatedFinding(
            finding=finding,
            status=FindingStatus.SUPPRESSED,
            reason=(
                f"excepted by ignore[{rule.index}] until {rule.expires.isoformat()}: "
                f"{rule.reason}"
            ),
            exception=rule.ref(today),
            baseline=marker,
        )
    if blocking is not None:
        status = FindingStatus.BLOCKING if enforce else FindingStatus.ALLOWED
        reason = blocking if enforce else f"warn mode, would block: {blocking}"
    else:
        status = FindingStatus.ALLOWED
        if policy.gate_on == "new" and marker == "unchanged":
            reason = "in the baseline (gate_on = new)"
        else:
            reason = f"within the {finding.check.value} thresholds"
    if kept.expired_match is not None:
        lapsed = kept.expired_match
        reason += f"; ignore[{lapsed.index}] expired on {lapsed.expires.isoformat()}"
    exception: ExceptionRef | None = kept.expired_match.ref(today) if kept.expired_match else None
    return EvaluatedFinding(
        finding=finding, status=status, reason=reason, exception=exception, baseline=marker
    )


def _database_age(
    policy: Policy, results: Sequence[CheckResult], today: dt.date
) -> list[Violation]:
    limit = policy.vulnerabilities.max_db_age_days
    if limit <= 0:
        return []
    violations = []
    for result in results:
        if result.check is not Check.VULNERABILITIES:
            continue
        updated = result.metadata.get(ADVISORY_DB_UPDATED)
        if not isinstance(updated, str):
            continue
        day = _parse_day(updated)
        if day is None:
            violations.append(
                Violation(Check.VULNERABILITIES, f"advisory database date unreadable: {updated!r}")
            )
            continue
        age = (today - day).days
        if age > limit:
            violations.append(
                Violation(
                    Check.VULNERABILITIES,
                    f"advisory database is {age} days old (updated {day.isoformat()}); "
                    f"vulnerabilities.max_db_age_days = {limit}",
                )
            )
    return violations


def _parse_day(text: str) -> dt.date | None:
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


__all__ = ["ADVISORY_DB_AGE_RULE", "ADVISORY_DB_UPDATED", "Baseline", "evaluate"]
