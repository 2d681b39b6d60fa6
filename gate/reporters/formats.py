"""The report formats: one explicit list (``gate check --format list`` prints it).

A new format is a module implementing :class:`~gate.reporters.interface.Reporter` plus one
line in :data:`FORMATS`. This module imports no reporter: each is imported when it is used,
so the CLI starts fast.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gate.errors import UsageError
from gate.reporters.interface import Reporter


@dataclass(frozen=True)
class RenderOptions:
    """Facts the CLI resolved that some formats need (reporters read no environment)."""

    commit_sha: str | None = None
    """The commit the pipeline runs on (GitLab secret detection ``location.commit.sha``)."""
    notes: tuple[str, ...] = ()
    """Lines for human readers, learnt while writing other reports (a trimmed SARIF file)."""
    max_bytes: int | None = None
    """Size limit of the Markdown text (default: a GitHub comment's)."""


@dataclass(frozen=True)
class Format:
    name: str
    summary: str
    default_filename: str
    option: str | None
    """The ``gate check`` option that writes it to a file; None for stdout-only formats."""
    create: Callable[[RenderOptions], Reporter]


def _console(options: RenderOptions) -> Reporter:
    from gate.reporters.console import ConsoleReporter

    return ConsoleReporter()


def _json(options: RenderOptions) -> Reporter:
    from gate.reporters.json_report import JsonReporter

    return JsonReporter()


def _sarif(options: RenderOptions) -> Reporter:
    from gate.reporters.sarif import SarifReporter

    return SarifReporter()


def _junit(options: RenderOptions) -> Reporter:
    from gate.reporters.junit import JUnitReporter

    return JUnitReporter()


def _markdown(options: RenderOptions) -> Reporter:
    from gate.reporters.markdown import MarkdownReporter

    if options.max_bytes is not None:
        return MarkdownReporter(notes=options.notes, max_bytes=options.max_bytes)
    return MarkdownReporter(notes=options.notes)


def _container_scanning(options: RenderOptions) -> Reporter:
    from gate.reporters.gitlab_security import GitLabContainerScanningReporter

    return GitLabContainerScanningReporter()


def _secret_detection(options: RenderOptions) -> Reporter:
    from gate.reporters.gitlab_security import GitLabSecretDetectionReporter

    return GitLabSecretDetectionReporter(commit_sha=options.commit_sha)


def _codequality(options: RenderOptions) -> Reporter:
    from gate.reporters.gitlab_codequality import GitLabCodeQualityReporter

    return GitLabCodeQualityReporter()


def _annotations(options: RenderOptions) -> Reporter:
    from gate.reporters.github_annotations import GitHubAnnotationsReporter

    return GitHubAnnotationsReporter()


FORMATS: tuple[Format, ...] = (
    Format("console", "human-readable summary (the default on stdout)", "gate.txt", None,
           _console),
    Format("json", "everything, versioned schema; also the --baseline input",
           "gate-report.json", "--json", _json),
    Format("sarif", "SARIF 2.1.0 for GitHub code scanning, Jenkins Warnings NG",
           "gate.sarif", "--sarif", _sarif),
    Format("junit", "JUnit XML: a testcase per finding, failures for blocking ones",
           "gate-junit.xml", "--junit", _junit),
    Format("markdown", "PR/MR comment and job summary", "gate-report.md", "--markdown",
           _markdown),
    Format("gitlab-container-scanning", "GitLab container_scanning report (schema 15.0.7)",
           "gl-container-scanning-report.json", "--gitlab-container-scanning",
           _container_scanning),
    Format("gitlab-secret-detection", "GitLab secret_detection report (schema 15.0.7)",
           "gl-secret-detection-report.json", "--gitlab-secret-detection", _secret_detection),
    Format("codequality", "GitLab Code Quality (Code Climate subset)",
           "gl-code-quality-report.json", "--codequality", _codequality),
    Format("github-annotations", "GitHub Actions ::error/::warning workflow commands",
           "gate-annotations.txt", None, _annotations),
)


def by_name(name: str) -> Format:
    for fmt in FORMATS:
        if fmt.name == name:
            return fmt
    valid = ", ".join(f.name for f in FORMATS)
    raise UsageError(f"unknown format {name!r} (valid: {valid}, or 'list')")


def format_table() -> str:
    """What ``--format list`` prints: name, option, default file name, summary."""
    rows = [("FORMAT", "OPTION", "DEFAULT FILE", "CONTENT")]
    rows += [(f.name, f.option or "(stdout)", f.default_filename, f.summary) for f in FORMATS]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True))
        + "  "
        + row[3]
        + "\n"
        for row in rows
    )


__all__ = ["FORMATS", "Format", "RenderOptions", "by_name", "format_table"]
