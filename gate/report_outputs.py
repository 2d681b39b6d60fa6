"""The reports and CI options of ``gate check``: which formats go to which files, what goes to
stdout, and what is posted back to GitHub or GitLab.

Kept out of :mod:`gate.cli` so the command line stays one readable page; this is still the
CLI layer: it reads options and the environment and hands plain values to the reporters and
integrations, which read neither.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from gate.errors import ReportError
from gate.models import Report
from gate.reporters.formats import FORMATS, RenderOptions, by_name
from gate.reporters.github_limits import Trim

_EXISTING = ("--sarif", "--json")
"""File options that ``gate check`` declares in its "reports" group itself."""
DEFAULT_API_TIMEOUT = 10.0


@dataclass(frozen=True)
class Written:
    """The report files of one run (format name -> path) and how SARIF was trimmed."""

    paths: Mapping[str, Path] = field(default_factory=dict)
    sarif_trim: Trim | None = None

    def notes(self) -> tuple[str, ...]:
        """What a human report must say about the others (e.g. the SARIF upload was cut)."""
        return (self.sarif_trim.sentence("The SARIF report"),) if self.sarif_trim else ()


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value else None


def _format_name(value: str) -> str:
    if value == "list":
        return value
    try:
        return by_name(value).name
    except Exception as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _timeout(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= 300:
        raise argparse.ArgumentTypeError(
            f"--api-timeout {value!r}: seconds, more than 0, at most 300"
        )
    return seconds


def add_arguments(check: argparse.ArgumentParser, formats: argparse._ArgumentGroup) -> None:
    """The report format options (into the ``reports`` group) and the "CI integration" option
    group of ``gate check``."""
    formats.add_argument(
        "--format",
        metavar="NAME",
        type=_format_name,
        default="console",
        help="format written to stdout (default: console); 'list' lists every format",
    )
    for fmt in FORMATS:
        if fmt.option is None or fmt.option in _EXISTING:
            continue
        formats.add_argument(
            fmt.option,
            metavar="FILE",
            type=Path,
            dest=_dest(fmt.name),
            help=f"write the {fmt.summary} (e.g. {fmt.default_filename})",
        )
    ci = check.add_argument_group("CI integration")
    ci.add_argument(
        "--ci",
        choices=("github", "gitlab"),
        default=_env("GATE_CI"),
        help="post back to the CI: GitHub job summary, annotations, step outputs and PR "
        "comment; GitLab merge request note (env GATE_CI). Tokens come from the environment "
        "only: GATE_GITHUB_TOKEN or GITHUB_TOKEN, GATE_GITLAB_TOKEN",
    )
    ci.add_argument("--no-comment", action="store_true", help="no PR comment / MR note")
    ci.add_argument("--no-summary", action="store_true", help="no GitHub job summary")
    ci.add_argument(
        "--no-annotations", action="store_true", help="no GitHub annotations on file lines"
    )
    ci.add_argument(
        "--api-timeout",
        metavar="SECONDS",
        type=_timeout,
        default=DEFAULT_API_TIMEOUT,
        help=f"timeout of each GitHub/GitLab API request (default {DEFAULT_API_TIMEOUT:g})",
    )


def _dest(name: str) -> str:
    return "report_" + name.replace("-", "_")


def _requested(args: argparse.Namespace) -> list[tuple[str, Path]]:
    """(format, path) for every file option given, in :data:`FORMATS` order."""
    wanted = []
    for fmt in FORMATS:
        if fmt.option is None:
            continue
        dest = fmt.option[2:].replace("-", "_") if fmt.option in _EXISTING else _dest(fmt.name)
        path = getattr(args, dest, None)
        if path is not None:
            wanted.append((fmt.name, Path(path)))
    return wanted


def write_reports(report: Report, args: argparse.Namespace) -> Written:
    """Render and write every requested report file; SARIF first, so the human formats can
    say whether it was trimmed."""
    wanted = _requested(args)
    texts: dict[str, str] = {}
    trim = None
    for name, _path in wanted:
        if name == "sarif":
            from gate.reporters.sarif import SarifReporter

            texts[name], trim = SarifReporter().render_with_trim(report)
    options = RenderOptions(commit_sha=_commit_sha(), notes=Written(sarif_trim=trim).notes())
    for name, _path in wanted:
        if name not in texts:
            texts[name] = by_name(name).create(options).render(report)
    paths: dict[str, Path] = {}
    for name, path in wanted:
        write_file(path, texts[name])
        paths[name] = path
    return Written(paths, trim)


def _commit_sha() -> str | None:
    return _env("CI_COMMIT_SHA") or _env("GITHUB_SHA")


def write_file(path: Path, text: str, what: str = "report") -> None:
    """Write one output file (a report, the SBOM), its directories made as needed; a failure
    is a :class:`~gate.errors.ReportError` naming it."""
    try:
        if path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"cannot write {what} {path}: {exc.strerror or exc}") from exc


def write_stdout(report: Report, args: argparse.Namespace, written: Written,
                 stdout: TextIO) -> None:
    """The ``--format`` report on stdout; under ``--ci github``, inside ``::stop-commands::``
    (text from the image must not be read as workflow commands), then the annotations."""
    if args.format == "console":
        from gate.reporters.console import ConsoleReporter

        color = stdout.isatty() and not _env("NO_COLOR") and args.ci is None
        text = ConsoleReporter(color=color, quiet=args.quiet).render(report)
        if args.compliance is not None and not args.quiet:
            from gate.reporters.compliance import ComplianceReporter

            text += "\n" + ComplianceReporter().render(report)
    else:
        options = RenderOptions(commit_sha=_commit_sha(), notes=written.notes())
        text = by_name(args.format).create(options).render(report)
    if args.ci == "github":
        from gate.integrations.github import stop_commands_token
        from gate.reporters.github_annotations import GitHubAnnotationsReporter

        token = stop_commands_token()
        text = f"::stop-commands::{token}\n{text}::{token}::\n"
        if not args.no_annotations:
            text += GitHubAnnotationsReporter().render(report)
    stdout.write(text)
    stdout.flush()


def publish(report: Report, args: argparse.Namespace, written: Written, stdout: TextIO,
            stderr: TextIO) -> None:
    """``--ci``: post the decision back; failures are warning lines, never a verdict change."""
    if args.ci is None:
        return
    env = dict(os.environ)
    if args.ci == "github":
        from gate.integrations.publish import publish_github
        from gate.reporters.github_annotations import escape_data

        def warn(message: str) -> None:
            # A workflow command: GitHub shows it as a warning annotation on the run.
            stdout.write(f"::warning title=gate::{escape_data('gate: ' + message)}\n")
            stdout.flush()

        publish_github(
            report,
            env=env,
            written=written.paths,
            notes=written.notes(),
            comment=not args.no_comment,
            summary=not args.no_summary,
            timeout=args.api_timeout,
            warn=warn,
            info=lambda message: print(f"gate: {message}", file=stderr),
        )
    else:
        from gate.integrations.publish import publish_gitlab

        publish_gitlab(
            report,
            env=env,
            notes=written.notes(),
            comment=not args.no_comment,
            timeout=args.api_timeout,
            warn=lambda message: print(f"gate: warning: {message}", file=stderr),
            info=lambda message: print(f"gate: {message}", file=stderr),
        )


def print_formats(stdout: TextIO = sys.stdout) -> None:
    from gate.reporters.formats import format_table

    stdout.write(format_table())


__all__ = ["Written", "add_arguments", "print_formats", "publish", "write_file",
           "write_reports", "write_stdout"]
