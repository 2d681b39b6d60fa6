"""JUnit XML report, for the test views of GitLab (``artifacts:reports:junit``), Jenkins
(``junit``) and every CI that reads JUnit.

There is no single JUnit standard; this writes the subset the Jenkins xUnit plugin's
``junit-10.xsd`` defines (the tests validate against it) and that GitLab's parser reads:

* one ``<testsuite name="gate.<check>">`` per check that ran, one ``<testcase>`` per finding
  (``classname`` = ``gate.<check>.<rule id>``, the suite GitLab shows; ``name`` = location and
  short fingerprint, unique because GitLab keeps only the first of equal names), and one
  passing ``<testcase name="no findings">`` per rule that found nothing;
* a blocking finding is a ``<failure>``, a suppressed one ``<skipped>`` with the exception's
  reason, an allowed one passes (its reason in ``<system-out>``);
* ``<testsuite name="gate.policy">``: one failing testcase per violation (``<skipped>`` in
  warn mode, which does not block), or one passing ``verdict`` testcase.

Text is the analyzers' masked form; characters XML 1.0 cannot carry are replaced.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence

from gate.models import (
    CheckResult,
    EvaluatedFinding,
    FindingStatus,
    Report,
    Verdict,
)
from gate.reporters.console import location_text

# XML 1.0 §2.2 Char: tab, newline, carriage return and the ranges below; nothing else.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class JUnitReporter:
    """``--junit FILE``: JUnit XML (one testcase per finding, failures for blocking ones)."""

    name = "junit"
    default_filename = "gate-junit.xml"

    def render(self, report: Report) -> str:
        root = ET.Element("testsuites", name="gate")
        suites = [self._policy_suite(report)]
        by_check: dict[str, list[EvaluatedFinding]] = {}
        for evaluated in report.decision.findings:
            by_check.setdefault(evaluated.finding.check.value, []).append(evaluated)
        for result in report.checks:
            suites.append(self._check_suite(report, result, by_check.get(result.check.value, [])))
        totals: Counter[str] = Counter()
        for suite in suites:
            root.append(suite)
            for key in ("tests", "failures", "skipped"):
                totals[key] += int(suite.get(key, "0"))
        root.set("tests", str(totals["tests"]))
        root.set("failures", str(totals["failures"]))
        root.set("errors", "0")
        root.set("time", f"{report.duration_seconds:.3f}")
        ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"

    def _suite(self, report: Report, name: str) -> ET.Element:
        return ET.Element(
            "testsuite",
            name=name,
            timestamp=report.generated_at[:19],
            time="0",
        )

    def _policy_suite(self, report: Report) -> ET.Element:
        decision = report.decision
        suite = self._suite(report, "gate.policy")
        _properties(
            suite,
            [
                ("policy", report.policy_path),
                ("mode", decision.mode),
                ("verdict", decision.verdict.value),
                ("image", report.image.reference if report.image else ""),
                ("manifest_digest", report.image.manifest_digest if report.image else ""),
                ("context", report.context_path or ""),
            ],
        )
        names: Counter[str] = Counter()
        for violation in decision.violations:
            case = _case(suite, "gate.policy", violation.message, names)
            if decision.verdict is Verdict.FAIL:
                _child(case, "failure", violation.message, type="violation")
            else:
                _child(case, "skipped", f"warn mode, would block: {violation.message}")
        if not decision.violations:
            case = _case(suite, "gate.policy", "verdict", names)
            _child(case, "system-out", f"{decision.verdict.value}: no policy violations")
        return _count(suite)

    def _check_suite(
        self, report: Report, result: CheckResult, findings: Sequence[EvaluatedFinding]
    ) -> ET.Element:
        check = result.check.value
        suite = self._suite(report, f"gate.{check}")
        stats = [(key, str(value)) for key, value in result.stats.items()]
        stats += [(f"note.{n.kind}", f"{n.count}: {n.detail}") for n in result.notes]
        _properties(suite, stats)
        layers = len(report.image.layers) if report.image else None
        names: Counter[str] = Counter()
        found_rules = {e.finding.rule_id for e in findings}
        for evaluated in findings:
            f = evaluated.finding
            where = location_text(f.location, layers)
            case = _case(suite, f"gate.{check}.{f.rule_id}", f"{where} [{f.fingerprint[:12]}]",
                         names)
            details = "\n".join(
                line
                for line in (
                    f"rule: {f.rule_id}",
                    f"severity: {f.severity.value}",
                    f"location: {where}",
                    f"evidence: {f.evidence}" if f.evidence else "",
                    f"fingerprint: {f.fingerprint}",
                    f"status: {evaluated.status.value} ({evaluated.reason})",
                    f"baseline: {evaluated.baseline}" if evaluated.baseline else "",
                )
                if line
            )
            if evaluated.status is FindingStatus.BLOCKING:
                _child(case, "failure", f"{f.message}\n\n{details}", message=f.message,
                       type=f.severity.value)
            elif evaluated.status is FindingStatus.SUPPRESSED:
                _child(case, "skipped", None, message=evaluated.reason)
                _child(case, "system-out", f"{f.message}\n\n{details}")
            else:
                _child(case, "system-out", f"{f.message}\n\n{details}")
        for rule in result.rules:
            if rule.id not in found_rules:
                _case(suite, f"gate.{check}.{rule.id}", "no findings", names)
        return _count(suite)


def _case(suite: ET.Element, classname: str, name: str, names: Counter[str]) -> ET.Element:
    name = _xml(name)
    names[f"{classname}\0{name}"] += 1
    seen = names[f"{classname}\0{name}"]
    if seen > 1:
        name = f"{name} #{seen}"
    return ET.SubElement(suite, "testcase", classname=_xml(classname), name=name, time="0")


def _child(parent: ET.Element, tag: str, text: str | None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _xml(v) for k, v in attributes.items()})
    if text:
        element.text = _xml(text)
    return element


def _properties(suite: ET.Element, pairs: Sequence[tuple[str, str]]) -> None:
    if not pairs:
        return
    properties = ET.SubElement(suite, "properties")
    for name, value in pairs:
        ET.SubElement(properties, "property", name=_xml(name), value=_xml(value))


def _count(suite: ET.Element) -> ET.Element:
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    suite.set("errors", "0")
    suite.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
    return suite


def _xml(text: str) -> str:
    return _NOT_XML_CHAR.sub("\ufffd", text)


__all__ = ["JUnitReporter"]
