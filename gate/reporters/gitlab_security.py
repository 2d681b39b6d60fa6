"""GitLab security reports: ``container_scanning`` and ``secret_detection`` (schema 15.0.7).

GitLab reads them from ``artifacts:reports:container_scanning`` / ``secret_detection`` and
shows them in the merge request security widget, the pipeline's Security tab and the
vulnerability report (GitLab Ultimate). Format: GitLab's security report schemas v15.0.7
(``container-scanning-report-format.json``, ``secret-detection-report-format.json``; the tests
validate against both):

* ``scan``: analyzer and scanner (gate, its version), ``type``, start and end time as
  ``yyyy-mm-ddThh:mm:ss`` UTC, ``status``, and the scan notes and policy violations as
  ``messages``;
* one vulnerability per finding that the policy did not suppress (an exception is the
  policy's decision to accept it; the other reports still list it as suppressed);
* ``id``: a UUID derived from the finding's fingerprint and location, stable across runs;
  ``identifiers``: the advisory id and its aliases (container scanning) or the gate rule id
  (secret detection), the first being the primary identifier.

Evidence and messages are the analyzers' masked forms; no raw secret reaches these files.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Sequence
from typing import Any

from gate.models import (
    Check,
    EvaluatedFinding,
    Finding,
    FindingStatus,
    LocationKind,
    Report,
    Rule,
    Severity,
)

SCHEMA_VERSION = "15.0.7"
_SCHEMA_URL = (
    "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/"
    f"v{SCHEMA_VERSION}/dist/{{}}-report-format.json"
)
INFORMATION_URI = "https://github.com/gate-security/gate"
_NAMESPACE = uuid.UUID("9b1f5c1e-3f59-4c39-9a3e-2f0c6a1d7e42")
"""Namespace of the finding UUIDs (uuid5): any fixed value, never changed."""
_SEVERITY = {
    Severity.CRITICAL: "Critical",
    Severity.HIGH: "High",
    Severity.MEDIUM: "Medium",
    Severity.LOW: "Low",
    Severity.INFO: "Info",
}
_MAX_NAME = 255
_MAX_DESCRIPTION = 1_048_576
_MAX_SOLUTION = 7000


class GitLabContainerScanningReporter:
    """``--gitlab-container-scanning FILE``: vulnerabilities of the image's packages."""

    name = "gitlab-container-scanning"
    default_filename = "gl-container-scanning-report.json"

    def render(self, report: Report) -> str:
        rules = _rules(report)
        operating_system = _operating_system(report)
        image = report.image.reference if report.image else (report.context_path or "unknown")
        vulnerabilities = [
            _container_vulnerability(e.finding, rules.get(e.finding.rule_id), operating_system,
                                     image)
            for e in _reported(report, Check.VULNERABILITIES)
            if e.finding.package is not None
        ]
        return _document(report, "container_scanning", "container-scanning", vulnerabilities)


class GitLabSecretDetectionReporter:
    """``--gitlab-secret-detection FILE``: secrets in the image, its history and its context.

    ``commit_sha``: the commit the pipeline runs on (``CI_COMMIT_SHA``); the schema requires
    one, and GitLab's own analyzer writes ``0000000`` when it scans a tree, not history.
    """

    name = "gitlab-secret-detection"
    default_filename = "gl-secret-detection-report.json"

    def __init__(self, *, commit_sha: str | None = None) -> None:
        self.commit_sha = commit_sha or "0000000"

    def render(self, report: Report) -> str:
        rules = _rules(report)
        vulnerabilities = [
            _secret_vulnerability(report, e.finding, rules.get(e.finding.rule_id), self.commit_sha)
            for e in _reported(report, Check.SECRETS)
        ]
        return _document(report, "secret_detection", "secret-detection", vulnerabilities)


# -- the document -----------------------------------------------------------------------------


def _document(
    report: Report, scan_type: str, schema_name: str, vulnerabilities: list[dict[str, Any]]
) -> str:
    end = _utc(report.generated_at)
    start = end - dt.timedelta(seconds=report.duration_seconds)
    tool = {
        "id": "gate",
        "name": "gate",
        "url": INFORMATION_URI,
        "vendor": {"name": "gate"},
        "version": report.tool_version,
    }
    doc = {
        "version": SCHEMA_VERSION,
        "schema": _SCHEMA_URL.format(schema_name),
        "scan": {
            "analyzer": tool,
            "scanner": tool,
            "type": scan_type,
            "start_time": _time(start),
            "end_time": _time(end),
            "status": "success",
            "messages": _messages(report),
        },
        "vulnerabilities": vulnerabilities,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _messages(report: Report) -> list[dict[str, str]]:
    messages = [
        {"level": "info", "value": f"{result.check.value}: {note.detail} ({note.count})"}
        for result in report.checks
        for note in result.notes
    ]
    messages += [
        {"level": "warn", "value": f"policy violation: {violation.message}"}
        for violation in report.decision.violations
    ]
    return messages


def _reported(report: Report, check: Check) -> list[EvaluatedFinding]:
    return [
        e
        for e in report.decision.findings
        if e.finding.check is check and e.status is not FindingStatus.SUPPRESSED
    ]


def _rules(report: Report) -> dict[str, Rule]:
    return {rule.id: rule for result in report.checks for rule in result.rules}


def _uuid(finding: Finding) -> str:
    location = finding.location
    key = f"{finding.fingerprint}|{location.kind.value}|{location.path}|{location.start_line}"
    return str(uuid.uuid5(_NAMESPACE, key))


def _details(finding: Finding, extra: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    location = finding.location
    items: dict[str, Any] = {}
    if location.layer is not None:
        items["layer"] = {
            "name": "Layer",
            "type": "text",
            "value": f"{location.layer.index + 1}: {location.layer.digest}",
        }
    if location.removed_in is not None:
        items["removed_in"] = {
            "name": "Deleted in layer",
            "type": "text",
            "value": f"{location.removed_in.index + 1}: {location.removed_in.digest} "
            "(still extractable from the earlier layer)",
        }
    for key, value in extra:
        items[key] = {"name": key.replace("_", " ").capitalize(), "type": "text", "value": value}
    items["fingerprint"] = {"name": "gate fingerprint", "type": "text",
                            "value": finding.fingerprint}
    return items


# -- container scanning ---------------------------------------------------------------------


def _container_vulnerability(
    finding: Finding, rule: Rule | None, operating_system: str, image: str
) -> dict[str, Any]:
    package = finding.package
    assert package is not None
    identifiers = [
        _identifier(advisory)
        for advisory in dict.fromkeys(
            [finding.vulnerability_id or finding.rule_id, *finding.aliases]
        )
    ]
    vulnerability: dict[str, Any] = {
        "id": _uuid(finding),
        "name": _cut(rule.title if rule else (finding.vulnerability_id or finding.rule_id),
                     _MAX_NAME),
        "description": _cut(finding.message, _MAX_DESCRIPTION),
        "severity": _SEVERITY[finding.severity],
        "identifiers": identifiers,
        "location": {
            "dependency": {"package": {"name": package.name}, "version": package.version},
            "operating_system": operating_system,
            "image": image,
        },
        "details": _details(
            finding,
            [("path", finding.location.path)]
            + ([("source_package", f"{package.source_name} {package.source_version or ''}")]
               if package.source_name else []),
        ),
    }
    if finding.fixed_versions:
        fixed = ", ".join(finding.fixed_versions)
        vulnerability["solution"] = _cut(f"Upgrade {package.name} to {fixed}.", _MAX_SOLUTION)
    links = [{"url": rule.help_uri}] if rule and rule.help_uri else []
    links += [{"url": i["url"]} for i in identifiers if "url" in i]
    if links:
        vulnerability["links"] = list({link["url"]: link for link in links}.values())
    return vulnerability


def _identifier(advisory: str) -> dict[str, str]:
    upper = advisory.upper()
    if upper.startswith("CVE-"):
        return {"type": "cve", "name": advisory, "value": advisory,
                "url": f"https://nvd.nist.gov/vuln/detail/{advisory}"}
    if upper.startswith("GHSA-"):
        return {"type": "ghsa", "name": advisory, "value": advisory,
                "url": f"https://github.com/advisories/{advisory}"}
    prefix = re.match(r"[A-Za-z]+", advisory)
    kind = prefix.group(0).lower() if prefix else "advisory"
    return {"type": kind, "name": advisory, "value": advisory,
            "url": f"https://osv.dev/vulnerability/{advisory}"}


def _operating_system(report: Report) -> str:
    """The distribution, from a distro package's OSV ecosystem (``Debian:12`` -> ``Debian 12``),
    or the check's metadata; language packages have no OS of their own."""
    for result in report.checks:
        if result.check is not Check.VULNERABILITIES:
            continue
        for key in ("operating_system", "os"):
            value = result.metadata.get(key)
            if isinstance(value, str) and value:
                return value
        for finding in result.findings:
            if finding.package is not None and ":" in finding.package.ecosystem:
                return finding.package.ecosystem.replace(":", " ")
    return "unknown"


# -- secret detection ------------------------------------------------------------------------


def _secret_vulnerability(
    report: Report, finding: Finding, rule: Rule | None, commit_sha: str
) -> dict[str, Any]:
    location = finding.location
    where: dict[str, Any] = {"file": _file(report, finding), "commit": {"sha": commit_sha}}
    lines_from = location
    if location.kind is LocationKind.IMAGE_FILE and location.attributed_to is not None:
        lines_from = location.attributed_to
    if lines_from.start_line is not None:
        where["start_line"] = lines_from.start_line
        where["end_line"] = lines_from.end_line or lines_from.start_line
    extra = [("evidence", finding.evidence)] if finding.evidence else []
    if location.kind not in (LocationKind.CONTEXT, LocationKind.DOCKERFILE):
        extra.append(("in_image", f"{location.kind.value} {location.path}"))
    return {
        "id": _uuid(finding),
        "name": _cut(rule.title if rule else finding.rule_id, _MAX_NAME),
        "description": _cut(finding.message, _MAX_DESCRIPTION),
        "severity": _SEVERITY[finding.severity],
        "solution": _cut(
            rule.remediation
            if rule and rule.remediation
            else "Revoke the credential, then remove it from the image and the build context.",
            _MAX_SOLUTION,
        ),
        "identifiers": [
            {"type": "gate_rule_id", "name": f"gate rule {finding.rule_id}",
             "value": finding.rule_id}
        ],
        "location": where,
        "details": _details(finding, extra),
    }


def _file(report: Report, finding: Finding) -> str:
    """A repository path where there is one (context, Dockerfile, the Dockerfile line that made
    the layer); otherwise where in the image, prefixed with the image reference."""
    location = finding.location
    if location.kind in (LocationKind.CONTEXT, LocationKind.DOCKERFILE, LocationKind.POLICY):
        return location.path
    if location.attributed_to is not None:
        return location.attributed_to.path
    image = report.image.reference if report.image else "image"
    if location.kind is LocationKind.IMAGE_FILE:
        return f"{image}:{location.path}"
    return f"{image}:{location.kind.value}:{location.path}"


# -- small helpers ---------------------------------------------------------------------------


def _utc(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = dt.datetime.now(dt.timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)


def _time(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = ["GitLabContainerScanningReporter", "GitLabSecretDetectionReporter"]
