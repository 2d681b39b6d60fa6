"""GitHub Actions annotations: ``::error file=..,line=..::message`` workflow commands.

GitHub turns these lines of a step's standard output into annotations on the run and, in a
pull request, on the lines of the diff ("Workflow commands for GitHub Actions": ``error``,
``warning``, ``notice`` with ``file``, ``line``, ``endLine``, ``title``). Only findings with a
repository file location are annotated (context files, Dockerfile lines, the Dockerfile line a
layer is attributed to): a path inside the image is no file of the repository.

Escaping follows the runner's command parser (actions/toolkit ``command.ts``): in the message
``%``, CR and LF become ``%25``, ``%0D``, ``%0A``; in property values ``:`` and ``,`` too, so
text from the image can neither end the command nor start another one. GitHub shows 10
annotations per level and step: the most important ones are written, then one notice saying
how many more are in the reports.
"""

from __future__ import annotations

from gate.models import EvaluatedFinding, FindingStatus, Location, LocationKind, Report
from gate.reporters.github_limits import ANNOTATIONS_PER_LEVEL, priority


class GitHubAnnotationsReporter:
    """``--format github-annotations``; ``gate check --ci github`` prints them after the log."""

    name = "github-annotations"
    default_filename = "gate-annotations.txt"

    def render(self, report: Report) -> str:
        lines: list[str] = []
        written = {"error": 0, "warning": 0}
        skipped = 0
        for evaluated in sorted(report.decision.findings, key=priority):
            if evaluated.status is FindingStatus.SUPPRESSED:
                continue
            where = repo_location(evaluated.finding.location)
            if where is None:
                continue
            level = "error" if evaluated.status is FindingStatus.BLOCKING else "warning"
            if written[level] >= ANNOTATIONS_PER_LEVEL:
                skipped += 1
                continue
            written[level] += 1
            lines.append(_command(level, evaluated, where))
        if skipped:
            lines.append(
                "::notice title=gate::"
                + escape_data(
                    f"{skipped} more finding(s) on repository files are not annotated "
                    f"(GitHub shows {ANNOTATIONS_PER_LEVEL} per level and step); "
                    "see the job summary and the reports"
                )
            )
        return "".join(line + "\n" for line in lines)


def repo_location(location: Location) -> Location | None:
    """The repository file location of a finding, if it has one."""
    if location.kind in (LocationKind.CONTEXT, LocationKind.DOCKERFILE, LocationKind.POLICY):
        return location
    return location.attributed_to


def _command(level: str, evaluated: EvaluatedFinding, where: Location) -> str:
    finding = evaluated.finding
    properties = [("file", where.path)]
    if where.start_line is not None and where.start_line >= 1:
        properties.append(("line", str(where.start_line)))
        if where.end_line is not None and where.end_line >= where.start_line:
            properties.append(("endLine", str(where.end_line)))
    properties.append(("title", f"gate {finding.severity.value}: {finding.rule_id}"))
    message = finding.message
    if finding.location is not where:
        message += f" (in the image at {finding.location.path})"
    message += f"\n{evaluated.reason}"
    props = ",".join(f"{name}={escape_property(value)}" for name, value in properties)
    return f"::{level} {props}::{escape_data(message)}"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


__all__ = ["GitHubAnnotationsReporter", "escape_data", "escape_property", "repo_location"]
