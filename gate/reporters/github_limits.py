"""GitHub's documented size limits, and the one order in which findings are kept under them.

Sources (GitHub Docs): "SARIF results exceed one or more limits" (code scanning: runs per file
20, results per run 25,000, rules per run 25,000, locations per result 1,000, tags per rule 20;
"SARIF support for code scanning": the gzip-compressed upload is at most 10 MB); "Workflow
commands for GitHub Actions" (annotations: 10 errors, 10 warnings and 10 notices per step; a
step summary is at most 1 MiB); issue comments: a body of at most 65,536 characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gate.models import EvaluatedFinding, FindingStatus

SARIF_MAX_RESULTS = 25_000
SARIF_MAX_RULES = 25_000
SARIF_MAX_TAGS_PER_RULE = 20
SARIF_MAX_GZIP_BYTES = 10_000_000
"""10 MB; counted in decimal megabytes so a file at the limit is below either reading of it."""
ANNOTATIONS_PER_LEVEL = 10
COMMENT_MAX_CHARS = 65_536
STEP_SUMMARY_MAX_BYTES = 1024 * 1024
GITLAB_NOTE_MAX_CHARS = 1_000_000
"""GitLab refuses a note body over 1,000,000 characters (Notes API)."""

_STATUS_RANK = {FindingStatus.BLOCKING: 0, FindingStatus.ALLOWED: 1, FindingStatus.SUPPRESSED: 2}


@dataclass(frozen=True)
class Trim:
    """A report cut down to a limit: what was kept, of how many, and why."""

    kept: int
    total: int
    limit: str
    """Which limit forced it, in words (``25,000 results per run``)."""

    @property
    def dropped(self) -> int:
        return self.total - self.kept

    def sentence(self, what: str) -> str:
        return (
            f"{what} trimmed to GitHub's limit of {self.limit}: {self.kept:,} of {self.total:,} "
            "findings kept, most severe first; the JSON report has all of them"
        )


def priority(evaluated: EvaluatedFinding) -> tuple[int, int, int]:
    """Sort key, most important first: blocking before allowed before suppressed, then the
    worse severity, then new before known (with a baseline)."""
    return (
        _STATUS_RANK[evaluated.status],
        -evaluated.finding.severity.rank,
        0 if evaluated.baseline == "new" else 1,
    )


def most_important(
    findings: Sequence[EvaluatedFinding], keep: int
) -> tuple[EvaluatedFinding, ...]:
    """The ``keep`` most important findings, in their original order (stable output)."""
    if keep >= len(findings):
        return tuple(findings)
    ranked = sorted(range(len(findings)), key=lambda i: (priority(findings[i]), i))
    chosen = sorted(ranked[: max(keep, 0)])
    return tuple(findings[i] for i in chosen)


__all__ = [
    "ANNOTATIONS_PER_LEVEL",
    "COMMENT_MAX_CHARS",
    "GITLAB_NOTE_MAX_CHARS",
    "SARIF_MAX_GZIP_BYTES",
    "SARIF_MAX_RESULTS",
    "SARIF_MAX_RULES",
    "SARIF_MAX_TAGS_PER_RULE",
    "STEP_SUMMARY_MAX_BYTES",
    "Trim",
    "most_important",
    "priority",
]
