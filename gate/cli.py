"""Command line: parse options, run the pipeline, write reports, map the verdict to an exit code.

This is the one place where errors become messages: every :class:`~gate.errors.GateError` is one
line on stderr and exit code 2. An unexpected exception is also exit 2 with one line (and the
traceback only with ``GATE_DEBUG=1``): the gate never passes by accident.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from gate import __version__
from gate.errors import GateError, PolicyError, ReportError, UsageError
from gate.models import Check, Severity

EXIT_PASS = 0
EXIT_BLOCKED = 1
EXIT_ERROR = 2


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value else None


def _parse_checks(value: str) -> tuple[Check, ...]:
    checks: list[Check] = []
    for part in value.split(","):
        name = part.strip().lower()
        if not name:
            continue
        try:
            checks.append(Check(name))
        except ValueError:
            valid = ", ".join(c.value for c in Check)
            raise argparse.ArgumentTypeError(f"unknown check {name!r} (valid: {valid})") from None
    if not checks:
        raise argparse.ArgumentTypeError("--checks needs at least one check")
    return tuple(dict.fromkeys(checks))


def _parse_severity(value: str) -> str:
    try:
        return Severity(value.lower()).value
    except ValueError:
        valid = ", ".join(s.value for s in Severity)
        raise argparse.ArgumentTypeError(f"unknown severity {value!r} (valid: {valid})") from None


def _default_cache_dir() -> Path:
    env = _env("GATE_CACHE_DIR")
    if env:
        return Path(env)
    xdg = _env("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "gate"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse exits 2 on usage errors, which is also "the gate could not decide". One
        # line, like every other error: CI logs are read by grepping "gate: error:".
        _error(f"{message} (see '{self.prog} --help')")
        self.exit(EXIT_ERROR)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="gate",
        description="CI/CD container security gate: secrets, vulnerabilities, signatures and "
        "configuration of an image and its build context, decided by one policy file.",
    )
    parser.add_argument("--version", action="version", version=f"gate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = sub.add_parser("check", help="check an image and/or build context against a policy")
    src = check.add_argument_group("what to check")
    src.add_argument(
        "--image",
        metavar="REF",
        default=_env("GATE_IMAGE"),
        help="image to check: oci:DIR[:TAG|@DIGEST], oci-archive:FILE[:TAG], "
        "docker-archive:FILE[:REPO:TAG] (env GATE_IMAGE)",
    )
    src.add_argument(
        "--context",
        metavar="DIR",
        type=Path,
        default=_env("GATE_CONTEXT"),
        help="Docker build context; its files a COPY would send (.dockerignore applied) are "
        "checked (env GATE_CONTEXT)",
    )
    src.add_argument(
        "--dockerfile", metavar="PATH", type=Path, help="Dockerfile (default: <context>/Dockerfile)"
    )
    src.add_argument("--target", metavar="STAGE", help="build stage the image was built from")
    src.add_argument(
        "--platform",
        metavar="OS/ARCH[/VARIANT]",
        default=_env("GATE_PLATFORM"),
        help="platform to pick from a multi-platform image (default: the host's)",
    )
    src.add_argument(
        "--repo-root",
        metavar="DIR",
        type=Path,
        default=_env("GATE_REPO_ROOT"),
        help="repository root that report locations are relative to (default: cwd)",
    )

    pol = check.add_argument_group("policy")
    pol.add_argument(
        "--policy",
        metavar="FILE",
        type=Path,
        default=_env("GATE_POLICY"),
        help="policy file (default: the shipped policies/default.toml; env GATE_POLICY)",
    )
    pol.add_argument(
        "--checks",
        metavar="LIST",
        type=_parse_checks,
        default=None,
        help="comma-separated checks to run: secrets,config,vulnerabilities,signature "
        "(default: every check the policy enables)",
    )
    pol.add_argument(
        "--fail-on",
        metavar="SEVERITY",
        type=_parse_severity,
        default=_env("GATE_FAIL_ON"),
        help="block on any finding of this severity or worse, in every check",
    )
    pol.add_argument(
        "--baseline",
        metavar="FILE",
        type=Path,
        help="a previous JSON report: findings are marked new, unchanged or fixed",
    )

    out = check.add_argument_group("reports")
    out.add_argument("--sarif", metavar="FILE", type=Path, help="write a SARIF 2.1.0 report")
    out.add_argument("--json", metavar="FILE", type=Path, help="write the JSON report")
    out.add_argument("--quiet", action="store_true", help="print only the verdict line")
    out.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress display (it is off anyway when stderr is not a terminal)",
    )

    perf = check.add_argument_group("performance")
    perf.add_argument(
        "--cache-dir",
        metavar="DIR",
        type=Path,
        default=None,
        help="per-layer result cache (default: $GATE_CACHE_DIR or ~/.cache/gate)",
    )
    perf.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    perf.add_argument(
        "--jobs",
        metavar="N",
        type=int,
        default=0,
        help="worker processes for the layer scan (default: one per CPU)",
    )

    sub.add_parser("version", help="print the version")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_ERROR


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        _error("no command given (see 'gate --help')")
        return EXIT_ERROR
    if args.command == "version":
        print(f"gate {__version__}")
        return EXIT_PASS
    try:
        if args.command == "check":
            return _cmd_check(args, sys.stdout, sys.stderr)
        raise UsageError(f"unknown command {args.command}")
    except PolicyError as exc:
        for problem in exc.problems:
            _error(f"{exc.path}: {problem}")
        return EXIT_ERROR
    except GateError as exc:
        _error(str(exc))
        return EXIT_ERROR
    except Exception as exc:
        if os.environ.get("GATE_DEBUG"):
            traceback.print_exc()
        _error(
            f"internal error ({type(exc).__name__}: {exc}); "
            + ("see the traceback above" if os.environ.get("GATE_DEBUG")
               else "set GATE_DEBUG=1 for a traceback")
        )
        return EXIT_ERROR


def _error(message: str) -> None:
    """One line on stderr: control characters escaped (a file name from an image may hold a
    newline or a terminal escape that would forge log lines), secrets masked (an error may
    quote image text)."""
    message = "".join(
        char if char.isprintable() else repr(char)[1:-1] for char in message
    )
    try:
        from gate.analyzers.secrets.analyzer import redact_text

        message = redact_text(message)
    except Exception:
        # The redactor itself failing must not turn an error into a traceback; the message
        # is then cut to what gate itself wrote before any quoted text.
        message = message.split("'", 1)[0].split('"', 1)[0] + "(details withheld)"
    print(f"gate: error: {message}", file=sys.stderr)


def _cmd_check(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from gate.layer_walk import WalkOptions
    from gate.pipeline import GateRequest, run_gate
    from gate.policy.loader import load_policy

    if args.image is None and args.context is None:
        raise UsageError("nothing to check: give --image, --context, or both")
    if args.context is not None and not args.context.is_dir():
        raise UsageError(f"--context {args.context}: not a directory")
    if args.dockerfile is not None and not args.dockerfile.is_file():
        raise UsageError(f"--dockerfile {args.dockerfile}: no such file")
    if args.jobs < 0:
        raise UsageError("--jobs must be 0 (one per CPU) or more")

    policy = load_policy(args.policy)
    policy_path = str(args.policy) if args.policy else "policies/default.toml (shipped)"
    cache_dir = None if args.no_cache else (args.cache_dir or _default_cache_dir())
    request = GateRequest(
        policy=policy,
        policy_path=policy_path,
        image_ref=args.image,
        platform=args.platform,
        context_dir=args.context,
        dockerfile=args.dockerfile,
        target_stage=args.target,
        repo_root=args.repo_root,
        checks=args.checks,
        walk=WalkOptions(cache_dir=cache_dir, jobs=args.jobs),
        fail_on=args.fail_on,
        baseline_path=args.baseline,
        today=dt.date.today(),
    )
    show_progress = not args.no_progress and stderr.isatty() and not _env("CI")
    progress = _LayerProgress(stderr) if show_progress else None
    report = run_gate(request, layer_progress=progress)
    if progress:
        progress.done()

    _write_reports(report, args)
    from gate.reporters.console import ConsoleReporter

    console = ConsoleReporter(color=stdout.isatty() and not _env("NO_COLOR"), quiet=args.quiet)
    stdout.write(console.render(report))
    stdout.flush()
    return report.decision.verdict.exit_code


def _write_reports(report: object, args: argparse.Namespace) -> None:
    from gate.models import Report

    assert isinstance(report, Report)
    targets: list[tuple[Path, str]] = []
    if args.sarif:
        from gate.reporters.sarif import SarifReporter

        targets.append((args.sarif, SarifReporter().render(report)))
    if args.json:
        from gate.reporters.json_report import JsonReporter

        targets.append((args.json, JsonReporter().render(report)))
    for path, text in targets:
        try:
            if path.parent and not path.parent.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ReportError(f"cannot write report {path}: {exc.strerror or exc}") from exc


class _LayerProgress:
    """One self-rewriting line on a terminal: layers done of total."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.done_count = 0

    def __call__(self, layer: object, from_cache: bool) -> None:
        self.done_count += 1
        suffix = " (cached)" if from_cache else ""
        self.stream.write(f"\r\x1b[2Kscanned {self.done_count} layer(s){suffix}")
        self.stream.flush()

    def done(self) -> None:
        self.stream.write("\r\x1b[2K")
        self.stream.flush()
