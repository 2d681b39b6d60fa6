"""After the decision: post it where developers look (``gate check --ci github|gitlab``).

GitHub: the job summary, the pull request comment (one per image, edited in place) and the
step outputs. GitLab: the merge request note (one per image, updated in place). Every failure
is one warning line through ``warn``; nothing here changes the verdict.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from gate.errors import IntegrationError
from gate.models import FindingStatus, Report, Severity
from gate.reporters.github_limits import (
    COMMENT_MAX_CHARS,
    GITLAB_NOTE_MAX_CHARS,
    STEP_SUMMARY_MAX_BYTES,
)
from gate.reporters.identity import comment_marker

Say = Callable[[str], None]


def step_outputs(
    report: Report, written: Mapping[str, Path], comment_url: str | None = None
) -> dict[str, str]:
    """The GitHub step outputs: verdict, counts, report paths (``<format>-file``)."""
    decision = report.decision
    statuses = Counter(e.status for e in decision.findings)
    severities = Counter(
        e.finding.severity for e in decision.findings if e.status is not FindingStatus.SUPPRESSED
    )
    outputs = {
        "verdict": decision.verdict.value,
        "exit-code": str(decision.verdict.exit_code),
        "violations": str(len(decision.violations)),
        "findings": str(len(decision.findings)),
        "blocking": str(statuses[FindingStatus.BLOCKING]),
        "suppressed": str(statuses[FindingStatus.SUPPRESSED]),
        **{s.value: str(severities[s]) for s in Severity},
        "new": str(sum(e.baseline == "new" for e in decision.findings)),
        "fixed": str(len(decision.fixed)),
    }
    for name, path in written.items():
        outputs[f"{name}-file"] = str(path)
    if comment_url:
        outputs["comment-url"] = comment_url
    return outputs


def publish_github(
    report: Report,
    *,
    env: Mapping[str, str],
    written: Mapping[str, Path],
    notes: Sequence[str],
    comment: bool,
    summary: bool,
    timeout: float,
    warn: Say,
    info: Say,
) -> None:
    from gate.integrations.github import (
        GitHubContext,
        append_step_summary,
        upsert_comment,
        write_outputs,
    )
    from gate.reporters.markdown import MarkdownReporter

    context = GitHubContext.from_env(env)
    for problem in context.problems:
        warn(problem)
    if summary and context.step_summary is not None:
        text = MarkdownReporter(notes=notes, max_bytes=STEP_SUMMARY_MAX_BYTES).render(report)
        try:
            append_step_summary(context.step_summary, text)
        except IntegrationError as exc:
            warn(f"job summary not written: {exc.message}")
    comment_url = None
    if comment and context.pr_number is not None:
        run = [f"Details: the workflow run {context.run_url}"] if context.run_url else []
        body = MarkdownReporter(notes=[*notes, *run], max_bytes=COMMENT_MAX_CHARS).render(report)
        try:
            result = upsert_comment(context, comment_marker(report), body, timeout=timeout)
        except IntegrationError as exc:
            warn(f"pull request comment not posted: {exc.message}; the verdict is unchanged")
        else:
            info(f"pull request comment {result}")
            comment_url = result.split(" ", 1)[1]
    if context.output is not None:
        try:
            write_outputs(context.output, step_outputs(report, written, comment_url))
        except IntegrationError as exc:
            warn(f"step outputs not written: {exc.message}")


def publish_gitlab(
    report: Report,
    *,
    env: Mapping[str, str],
    notes: Sequence[str],
    comment: bool,
    timeout: float,
    warn: Say,
    info: Say,
) -> None:
    from gate.integrations.gitlab import GitLabContext, upsert_note
    from gate.reporters.markdown import MarkdownReporter

    context = GitLabContext.from_env(env)
    if not comment or context.mr_iid is None:
        return
    pipeline = [f"Details: the pipeline {context.pipeline_url}"] if context.pipeline_url else []
    body = MarkdownReporter(notes=[*notes, *pipeline], max_bytes=GITLAB_NOTE_MAX_CHARS).render(
        report
    )
    try:
        result = upsert_note(context, comment_marker(report), body, timeout=timeout)
    except IntegrationError as exc:
        warn(f"merge request note not posted: {exc.message}; the verdict is unchanged")
    else:
        info(f"merge request {result}")


__all__ = ["publish_github", "publish_gitlab", "step_outputs"]
