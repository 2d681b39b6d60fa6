"""GitLab Code Quality report (``artifacts:reports:codequality``): the merge request widget and
the diff annotations every GitLab tier shows.

Format: GitLab's "Implement a custom tool" section of the Code Quality docs, a subset of the
Code Climate issue spec: a JSON array of issues, each with ``description``, ``check_name``,
``fingerprint`` (unique per issue), ``severity`` (``info``, ``minor``, ``major``, ``critical``,
``blocker``) and ``location.path`` with ``location.lines.begin``; no byte order mark.

Every finding the policy did not suppress is an issue. Its location is the repository file
where there is one (context files, Dockerfile lines, the Dockerfile line a layer is
attributed to), so GitLab can annotate the diff; an image-only finding is placed at
``<image reference>/<path in image>``, which GitLab lists without a link.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from gate.models import EvaluatedFinding, FindingStatus, LocationKind, Report, Severity

_SEVERITY = {
    Severity.CRITICAL: "blocker",
    Severity.HIGH: "critical",
    Severity.MEDIUM: "major",
    Severity.LOW: "minor",
    Severity.INFO: "info",
}


class GitLabCodeQualityReporter:
    """``--codequality FILE``: GitLab Code Quality JSON (Code Climate subset)."""

    name = "codequality"
    default_filename = "gl-code-quality-report.json"

    def render(self, report: Report) -> str:
        issues = [
            _issue(report, e)
            for e in report.decision.findings
            if e.status is not FindingStatus.SUPPRESSED
        ]
        # ensure_ascii=False and no BOM: GitLab's parser refuses a byte order mark.
        return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"


def _issue(report: Report, evaluated: EvaluatedFinding) -> dict[str, Any]:
    finding = evaluated.finding
    location = finding.location
    path, line = location.path, location.start_line
    if location.kind not in (LocationKind.CONTEXT, LocationKind.DOCKERFILE, LocationKind.POLICY):
        if location.attributed_to is not None:
            path, line = location.attributed_to.path, location.attributed_to.start_line
        else:
            image = report.image.reference if report.image else "image"
            path, line = f"{image}/{location.path.lstrip('/')}", location.start_line
    status = "blocking" if evaluated.status is FindingStatus.BLOCKING else "allowed"
    description = f"[{finding.severity.value}, {status}] {finding.message}"
    key = "|".join(
        (finding.rule_id, finding.fingerprint, location.kind.value, location.path,
         str(location.start_line))
    )
    return {
        "type": "issue",
        "check_name": finding.rule_id,
        "description": description,
        "categories": ["Security"],
        "fingerprint": hashlib.md5(key.encode("utf-8"), usedforsecurity=False).hexdigest(),
        "severity": _SEVERITY[finding.severity],
        "location": {"path": path, "lines": {"begin": line if line and line > 0 else 1}},
    }


__all__ = ["GitLabCodeQualityReporter"]
