"""Policy evaluation: thresholds, exceptions, overrides, filters, warn mode, --fail-on, baseline."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pytest

from gate.models import (
    Check,
    CheckResult,
    Decision,
    Finding,
    FindingStatus,
    Fingerprint,
    Location,
    LocationKind,
    PackageRef,
    RuleID,
    Severity,
    Verdict,
    Violation,
)
from gate.policy.baseline import Baseline
from gate.policy.evaluate import evaluate
from gate.policy.loader import load_policy
from gate.policy.model import Policy

TODAY = dt.date(2025, 6, 1)
ALL = (Check.SECRETS, Check.CONFIG, Check.VULNERABILITIES, Check.SIGNATURE)


def finding(
    check: Check,
    rule: str,
    severity: Severity,
    path: str = "app/x.py",
    *,
    fp: str | None = None,
    kind: LocationKind = LocationKind.CONTEXT,
    **extra: object,
) -> Finding:
    return Finding(
        check=check,
        rule_id=RuleID(rule),
        severity=severity,
        message=f"{rule} at {path}",
        location=Location(kind, path, start_line=1),
        fingerprint=Fingerprint(fp or f"{rule}:{path}:{severity.value}"),
        **extra,  # type: ignore[arg-type]
    )


def secret(rule: str, severity: Severity, path: str = "app/x.py", **kw: object) -> Finding:
    return finding(Check.SECRETS, rule, severity, path, **kw)  # type: ignore[arg-type]


def vuln(
    vid: str,
    severity: Severity,
    *,
    cvss: float | None = None,
    fixed: tuple[str, ...] = ("1.1",),
    package: str = "openssl",
    aliases: tuple[str, ...] = (),
) -> Finding:
    return Finding(
        check=Check.VULNERABILITIES,
        rule_id=RuleID(vid),
        severity=severity,
        message=f"{package} {vid}",
        location=Location(LocationKind.IMAGE_FILE, "/var/lib/dpkg/status"),
        fingerprint=Fingerprint(f"{vid}:{package}"),
        package=PackageRef(f"lib{package}3", "1.0", "Debian:12", source_name=package),
        vulnerability_id=vid,
        aliases=aliases,
        cvss_score=cvss,
        fixed_versions=fixed,
    )


def results(*findings: Finding) -> tuple[CheckResult, ...]:
    by_check: dict[Check, list[Finding]] = {}
    for f in findings:
        by_check.setdefault(f.check, []).append(f)
    return tuple(CheckResult(check, tuple(fs), ()) for check, fs in by_check.items())


def policy(tmp_path: Path, text: str) -> Policy:
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    return load_policy(path)


def decide(
    pol: Policy, *findings: Finding, checks: Sequence[Check] = ALL, **kw: object
) -> Decision:
    return evaluate(pol, results(*findings), today=TODAY, checks_run=checks, **kw)  # type: ignore[arg-type]


def statuses(decision: Decision) -> dict[str, FindingStatus]:
    return {e.finding.fingerprint: e.status for e in decision.findings}


# -- thresholds ----------------------------------------------------------------------------


def test_no_findings_pass() -> None:
    decision = decide(load_policy(None))
    assert decision.verdict is Verdict.PASS and decision.violations == ()
    assert decision.mode == "enforce" and decision.checks_run == ALL


def test_within_thresholds_passes_and_findings_are_allowed(tmp_path: Path) -> None:
    pol = policy(tmp_path, "[secrets]\nthresholds = { high = 2 }\n")
    a, b = secret("r1", Severity.HIGH, "a"), secret("r2", Severity.HIGH, "b")
    low = secret("r3", Severity.LOW)
    decision = decide(pol, a, b, low)
    assert decision.verdict is Verdict.PASS
    assert set(statuses(decision).values()) == {FindingStatus.ALLOWED}
    assert decision.findings[0].reason == "within the secrets thresholds"


def test_one_over_the_limit_fails_and_only_those_findings_block(tmp_path: Path) -> None:
    pol = policy(tmp_path, "[secrets]\nthresholds = { high = 1 }\n")
    a, b = secret("r1", Severity.HIGH, "a"), secret("r2", Severity.HIGH, "b")
    low = secret("r3", Severity.LOW)
    decision = decide(pol, a, b, low)
    assert decision.verdict is Verdict.FAIL
    assert decision.violations == (
        Violation(Check.SECRETS, "secrets allows at most 1 high finding(s); 2 counted"),
    )
    assert statuses(decision) == {
        a.fingerprint: FindingStatus.BLOCKING,
        b.fingerprint: FindingStatus.BLOCKING,
        low.fingerprint: FindingStatus.ALLOWED,
    }
    blocking = next(e for e in decision.findings if e.status is FindingStatus.BLOCKING)
    assert blocking.reason == "secrets allows at most 1 high finding(s); 2 counted"


def test_every_exceeded_threshold_is_a_violation() -> None:
    decision = decide(
        load_policy(None),
        secret("s1", Severity.CRITICAL),
        secret("s2", Severity.MEDIUM),
        finding(Check.CONFIG, "c1", Severity.HIGH),
        finding(Check.CONFIG, "c2", Severity.MEDIUM),  # config allows medium
        vuln("CVE-1", Severity.CRITICAL),
        vuln("CVE-2", Severity.HIGH),
        vuln("CVE-3", Severity.LOW),
    )
    assert decision.verdict is Verdict.FAIL
    assert [v.message for v in decision.violations] == [
        "secrets allows at most 0 critical finding(s); 1 counted",
        "secrets allows at most 0 medium finding(s); 1 counted",
        "config allows at most 0 high finding(s); 1 counted",
        "vulnerabilities allows at most 0 critical finding(s); 1 counted",
        "vulnerabilities allows at most 0 high finding(s); 1 counted",
    ]
    counts = [e.status for e in decision.findings]
    assert counts.count(FindingStatus.BLOCKING) == 5 and counts.count(FindingStatus.ALLOWED) == 2


def test_severity_thresholds_are_exact_not_cumulative(tmp_path: Path) -> None:
    pol = policy(tmp_path, "[secrets]\nthresholds = { medium = 0 }\n")
    assert decide(pol, secret("r", Severity.CRITICAL)).verdict is Verdict.PASS
    assert decide(pol, secret("r", Severity.MEDIUM)).verdict is Verdict.FAIL


def test_empty_thresholds_table_means_unlimited(tmp_path: Path) -> None:
    pol = policy(tmp_path, "[secrets]\nthresholds = {}\n")
    assert decide(pol, secret("r", Severity.CRITICAL)).verdict is Verdict.PASS


def test_warn_mode_passes_and_lists_violations(tmp_path: Path) -> None:
    pol = policy(tmp_path, 'mode = "warn"\n')
    decision = decide(pol, secret("r", Severity.CRITICAL))
    assert decision.verdict is Verdict.PASS and decision.mode == "warn"
    assert [v.message for v in decision.violations] == [
        "secrets allows at most 0 critical finding(s); 1 counted"
    ]
    (e,) = decision.findings
    assert e.status is FindingStatus.ALLOWED
    assert (
        e.reason
        == "warn mode, would block: secrets allows at most 0 critical finding(s); 1 counted"
    )


def test_fail_on_sets_zero_for_that_severity_and_worse_in_every_check(tmp_path: Path) -> None:
    pol = policy(tmp_path, "[secrets]\nthresholds = { critical = 5 }\n[config]\nthresholds = {}\n")
    low = finding(Check.CONFIG, "c", Severity.LOW)
    info = finding(Check.CONFIG, "i", Severity.INFO)
    crit = secret("s", Severity.CRITICAL)
    assert decide(pol, low, info, crit).verdict is Verdict.PASS
    decision = decide(pol, low, info, crit, fail_on=Severity.LOW)
    assert [v.message for v in decision.violations] == [
        "secrets allows at most 0 critical finding(s); 1 counted",
        "config allows at most 0 low finding(s); 1 counted",
    ]
    assert statuses(decision)[info.fingerprint] is FindingStatus.ALLOWED
    # the CLI passes the severity as a string
    assert decide(pol, low, fail_on="low").verdict is Verdict.FAIL
    # fail_on also reaches checks without thresholds of their own (signature)
    sig = finding(Check.SIGNATURE, "sig/unsigned", Severity.HIGH, kind=LocationKind.IMAGE)
    assert decide(pol, sig).verdict is Verdict.PASS
    assert decide(pol, sig, fail_on="high").verdict is Verdict.FAIL


# -- exceptions ----------------------------------------------------------------------------

EXCEPTIONS = """
[[ignore]]
rule = "secret/aws-access-key-id"
path = "tests/**"
reason = "fixtures"
expires = 2099-01-01

[[ignore]]
fingerprint = "fp-one"
reason = "one known secret"
expires = 2099-01-01

[[ignore]]
rule = "GHSA-xxxx-yyyy-zzzz"
package = "openssl"
reason = "alias of the CVE, openssl only"
expires = 2099-01-01

[[ignore]]
rule = "secret/github-pat"
reason = "expired long ago"
expires = 2025-05-31

[[ignore]]
rule = "never/matches"
reason = "unused"
expires = 2099-01-01

[[ignore]]
rule = "secret/slack"
path = "app/**"
reason = "image path"
expires = 2025-06-01
"""


def test_exceptions_match_rule_path_fingerprint_alias_package(tmp_path: Path) -> None:
    pol = policy(tmp_path, EXCEPTIONS)
    in_tests = secret("secret/aws-access-key-id", Severity.CRITICAL, "tests/unit/deep/x.py")
    outside = secret("secret/aws-access-key-id", Severity.CRITICAL, "src/x.py")
    by_fp = secret("secret/any", Severity.HIGH, "src/y.py", fp="fp-one")
    alias = vuln("CVE-2024-1", Severity.CRITICAL, aliases=("GHSA-xxxx-yyyy-zzzz",))
    other_pkg = vuln(
        "CVE-2024-2", Severity.CRITICAL, aliases=("GHSA-xxxx-yyyy-zzzz",), package="zlib"
    )
    image_path = secret(
        "secret/slack", Severity.HIGH, "/app/settings.py", kind=LocationKind.IMAGE_FILE
    )
    decision = decide(pol, in_tests, outside, by_fp, alias, other_pkg, image_path)
    got = statuses(decision)
    assert got[in_tests.fingerprint] is FindingStatus.SUPPRESSED
    assert got[outside.fingerprint] is FindingStatus.BLOCKING
    assert got[by_fp.fingerprint] is FindingStatus.SUPPRESSED
    assert got[alias.fingerprint] is FindingStatus.SUPPRESSED
    assert got[other_pkg.fingerprint] is FindingStatus.BLOCKING
    # /app/settings.py matches "app/**": image paths are tried without their leading "/";
    # the exception expires today and still applies today.
    assert got[image_path.fingerprint] is FindingStatus.SUPPRESSED
    suppressed = next(e for e in decision.findings if e.finding is in_tests)
    assert suppressed.exception is not None and suppressed.exception.index == 0
    assert suppressed.reason == "excepted by ignore[0] until 2099-01-01: fixtures"
    # suppressed findings count nowhere
    assert [v.message for v in decision.violations] == [
        "secrets allows at most 0 critical finding(s); 1 counted",
        "vulnerabilities allows at most 0 critical finding(s); 1 counted",
    ]


def test_expired_exception_no_longer_applies_and_is_reported(tmp_path: Path) -> None:
    pol = policy(tmp_path, EXCEPTIONS)
    pat = secret("secret/github-pat", Severity.HIGH)
    decision = decide(pol, pat)
    (e,) = decision.findings
    assert e.status is FindingStatus.BLOCKING
    assert e.reason.endswith("; ignore[3] expired on 2025-05-31")
    assert e.exception is not None and e.exception.expired
    assert [(x.index, x.expired, x.expires) for x in decision.expired_exceptions] == [
        (3, True, "2025-05-31")
    ]
    assert decision.verdict is Verdict.FAIL


def test_unused_exceptions_are_listed(tmp_path: Path) -> None:
    pol = policy(tmp_path, EXCEPTIONS)
    decision = decide(pol, secret("secret/any", Severity.LOW, fp="fp-one"))
    assert [x.index for x in decision.unused_exceptions] == [0, 2, 4, 5]
    assert all(not x.expired for x in decision.unused_exceptions)


def test_exception_ids_are_case_insensitive(tmp_path: Path) -> None:
    pol = policy(tmp_path, '[[ignore]]\nrule = "cve-2024-1"\nreason = "r"\nexpires = 2099-01-01\n')
    decision = decide(pol, vuln("CVE-2024-1", Severity.CRITICAL))
    assert decision.verdict is Verdict.PASS


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("tests/**", "tests/a/b/c.py", True),
        ("tests/**", "src/tests/a.py", False),
        ("tests/*", "tests/a/b.py", False),
        ("tests/*.py", "tests/a.py", True),
        ("**/fixtures/*", "a/b/fixtures/x", True),
        ("**/fixtures/*", "fixtures/x", True),
        ("/app/**", "/app/.env", True),
        ("app/**", "/app/.env", True),
        ("app/.env", "/app/.env", True),
        ("*.pem", "/etc/ssl/key.pem", False),
        ("**/*.pem", "/etc/ssl/key.pem", True),
        ("key[0-9].pem", "key7.pem", True),
        ("key[!0-9].pem", "key7.pem", False),
        ("a?c", "a/c", False),
    ],
)
def test_exception_path_globs(tmp_path: Path, pattern: str, path: str, matches: bool) -> None:
    text = f'[[ignore]]\nrule = "r"\npath = "{pattern}"\nreason = "x"\nexpires = 2099-01-01\n'
    kind = LocationKind.IMAGE_FILE if path.startswith("/") else LocationKind.CONTEXT
    decision = decide(policy(tmp_path, text), secret("r", Severity.HIGH, path, kind=kind))
    assert (decision.findings[0].status is FindingStatus.SUPPRESSED) is matches


def test_exception_path_matches_the_attributed_dockerfile(tmp_path: Path) -> None:
    text = '[[ignore]]\nrule = "r"\npath = "legacy/**"\nreason = "x"\nexpires = 2099-01-01\n'
    f = dataclasses.replace(
        secret("r", Severity.HIGH, "/srv/app.py", kind=LocationKind.IMAGE_FILE),
        location=Location(
            LocationKind.IMAGE_FILE,
            "/srv/app.py",
            attributed_to=Location(LocationKind.DOCKERFILE, "legacy/Dockerfile", 3),
        ),
    )
    assert decide(policy(tmp_path, text), f).findings[0].status is FindingStatus.SUPPRESSED


# -- overrides and filters ----------------------------------------------------------------


def test_config_rule_overrides(tmp_path: Path) -> None:
    pol = policy(
        tmp_path,
        """
[config.rules."config/off"]
enabled = false
[config.rules."config/regraded"]
severity = "low"
[config.rules."config/raised"]
severity = "critical"
[config.rules."config/scoped"]
paths = ["services/api/**"]
[config.rules."config/final-only"]
stages = ["final"]
[config.rules."config/build-stage"]
stages = ["builder"]
""",
    )
    off = finding(Check.CONFIG, "config/off", Severity.CRITICAL)
    regraded = finding(Check.CONFIG, "config/regraded", Severity.HIGH)
    raised = finding(Check.CONFIG, "config/raised", Severity.MEDIUM)
    in_scope = finding(Check.CONFIG, "config/scoped", Severity.LOW, "services/api/Dockerfile")
    out_scope = finding(Check.CONFIG, "config/scoped", Severity.LOW, "services/web/Dockerfile")
    final = finding(
        Check.CONFIG, "config/final-only", Severity.LOW, "a", properties={"final_stage": True}
    )
    builder = finding(
        Check.CONFIG,
        "config/final-only",
        Severity.LOW,
        "b",
        properties={"final_stage": False, "stage": "builder"},
    )
    named = finding(
        Check.CONFIG,
        "config/build-stage",
        Severity.LOW,
        "c",
        properties={"final_stage": False, "stage": "builder"},
    )
    no_stage = finding(Check.CONFIG, "config/final-only", Severity.LOW, "d")
    decision = decide(
        pol, off, regraded, raised, in_scope, out_scope, final, builder, named, no_stage
    )
    kept = {e.finding.fingerprint: e.finding for e in decision.findings}
    assert off.fingerprint not in kept and out_scope.fingerprint not in kept
    assert builder.fingerprint not in kept
    assert kept[regraded.fingerprint].severity is Severity.LOW
    assert kept[raised.fingerprint].severity is Severity.CRITICAL
    assert {
        in_scope.fingerprint,
        final.fingerprint,
        named.fingerprint,
        no_stage.fingerprint,
    } <= set(kept)
    assert [v.message for v in decision.violations] == [
        "config allows at most 0 critical finding(s); 1 counted"
    ]


def test_overrides_apply_to_config_findings_only(tmp_path: Path) -> None:
    pol = policy(tmp_path, '[config.rules."shared/id"]\nenabled = false\n')
    decision = decide(pol, secret("shared/id", Severity.HIGH))
    assert decision.verdict is Verdict.FAIL


def test_vulnerability_filters(tmp_path: Path) -> None:
    pol = policy(tmp_path, "[vulnerabilities]\nmin_cvss = 7.0\nonly_fixed = true\n")
    low_score = vuln("CVE-1", Severity.CRITICAL, cvss=6.9)
    unknown_score = vuln("CVE-2", Severity.HIGH, cvss=None)
    unfixed = vuln("CVE-3", Severity.CRITICAL, cvss=9.8, fixed=())
    kept = vuln("CVE-4", Severity.HIGH, cvss=7.0)
    eol = finding(Check.VULNERABILITIES, "vuln/os-eol", Severity.HIGH, "/", kind=LocationKind.IMAGE)
    decision = decide(pol, low_score, unknown_score, unfixed, kept, eol)
    remaining = {e.finding.fingerprint for e in decision.findings}
    assert remaining == {unknown_score.fingerprint, kept.fingerprint, eol.fingerprint}


def test_stale_advisory_database_is_a_violation(tmp_path: Path) -> None:
    pol = load_policy(None)
    stale = CheckResult(
        Check.VULNERABILITIES, (), (), metadata={"advisory_db_updated": "2025-05-20T08:00:00Z"}
    )
    fresh = CheckResult(
        Check.VULNERABILITIES, (), (), metadata={"advisory_db_updated": "2025-05-29"}
    )
    decision = evaluate(pol, (stale,), today=TODAY, checks_run=ALL)
    assert decision.verdict is Verdict.FAIL
    assert decision.violations == (
        Violation(
            Check.VULNERABILITIES,
            "advisory database is 12 days old (updated 2025-05-20); "
            "vulnerabilities.max_db_age_days = 7",
        ),
    )
    assert evaluate(pol, (fresh,), today=TODAY, checks_run=ALL).verdict is Verdict.PASS
    off = policy(tmp_path, "[vulnerabilities]\nmax_db_age_days = 0\n")
    assert evaluate(off, (stale,), today=TODAY, checks_run=ALL).verdict is Verdict.PASS


# -- signature -------------------------------------------------------------------------------

REQUIRED = '[signature]\nrequired = true\n[[signature.signers]]\nkey = "k.pub"\n'


def test_required_signature_findings_always_block(tmp_path: Path) -> None:
    missing = finding(
        Check.SIGNATURE,
        "signature/missing",
        Severity.CRITICAL,
        "ghcr.io/a/b",
        kind=LocationKind.IMAGE,
    )
    note = finding(Check.SIGNATURE, "signature/info", Severity.INFO, "x", kind=LocationKind.IMAGE)
    decision = decide(policy(tmp_path, REQUIRED), missing, note)
    assert decision.verdict is Verdict.FAIL
    assert decision.violations == (
        Violation(Check.SIGNATURE, "signature.required: signature/missing at ghcr.io/a/b"),
    )
    assert statuses(decision) == {
        missing.fingerprint: FindingStatus.BLOCKING,
        note.fingerprint: FindingStatus.ALLOWED,
    }
    # not required: reported, not blocking
    assert decide(load_policy(None), missing).verdict is Verdict.PASS
    # a baseline does not excuse a missing signature under gate_on = "new"
    pol = policy(tmp_path, 'gate_on = "new"\n' + REQUIRED)
    base = Baseline.from_findings((missing,))
    assert decide(pol, missing, baseline=base).verdict is Verdict.FAIL


# -- baseline --------------------------------------------------------------------------------


def test_baseline_marks_new_unchanged_and_fixed() -> None:
    old = secret("r", Severity.CRITICAL, "old.py")
    gone = secret("r", Severity.HIGH, "gone.py")
    gone_other_check = finding(Check.CONFIG, "c", Severity.HIGH)
    new = secret("r", Severity.CRITICAL, "new.py")
    base = Baseline.from_findings((old, gone, gone_other_check))
    decision = decide(load_policy(None), old, new, baseline=base, checks=(Check.SECRETS,))
    marks = {e.finding.fingerprint: e.baseline for e in decision.findings}
    assert marks == {old.fingerprint: "unchanged", new.fingerprint: "new"}
    # only checks that ran can have fixed findings
    assert decision.fixed == (gone,)
    # gate_on = "all": unchanged findings still count
    assert (
        decision.violations[0].message == "secrets allows at most 0 critical finding(s); 2 counted"
    )


def test_gate_on_new_counts_only_new_findings(tmp_path: Path) -> None:
    pol = policy(tmp_path, 'gate_on = "new"\n')
    old = secret("r", Severity.CRITICAL, "old.py")
    new = secret("r", Severity.HIGH, "new.py")
    base = Baseline.from_findings((old,))
    assert decide(pol, old, baseline=base).verdict is Verdict.PASS
    decision = decide(pol, old, new, baseline=base)
    assert [v.message for v in decision.violations] == [
        "secrets allows at most 0 high finding(s); 1 counted"
    ]
    got = {e.finding.fingerprint: (e.status, e.reason) for e in decision.findings}
    assert got[old.fingerprint] == (FindingStatus.ALLOWED, "in the baseline (gate_on = new)")
    assert got[new.fingerprint][0] is FindingStatus.BLOCKING
    # without a baseline, gate_on = "new" counts everything
    assert decide(pol, old).verdict is Verdict.FAIL


def test_a_plain_fingerprint_set_is_a_baseline() -> None:
    old = secret("r", Severity.LOW, "old.py")
    decision = decide(load_policy(None), old, baseline={old.fingerprint, "gone"})
    assert decision.findings[0].baseline == "unchanged"
    assert decision.fixed == ()


def test_decision_keeps_finding_order_and_checks_run() -> None:
    a, b = secret("a", Severity.LOW, "1"), secret("b", Severity.LOW, "2")
    decision = decide(load_policy(None), a, b, checks=(Check.SECRETS,))
    assert [e.finding for e in decision.findings] == [a, b]
    assert decision.checks_run == (Check.SECRETS,)
