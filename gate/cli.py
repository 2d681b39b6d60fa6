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
from typing import TYPE_CHECKING, TextIO

from gate import __version__
from gate.errors import GateError, PolicyError, UsageError
from gate.models import Check, Severity

if TYPE_CHECKING:
    from gate.sources.registry.options import RegistryOptions

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
        "docker-archive:FILE[:REPO:TAG], or a registry reference "
        "REGISTRY/REPO[:TAG|@DIGEST] (env GATE_IMAGE)",
    )
    src.add_argument(
        "--sbom",
        metavar="FILE",
        type=Path,
        default=_env("GATE_SBOM"),
        help="CycloneDX JSON SBOM (1.4-1.6) whose packages the vulnerability check scans "
        "instead of the image's (env GATE_SBOM)",
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

    _add_report_arguments(check)
    _add_vulnerability_options(check)
    _add_signature_and_config_arguments(check)
    _add_registry_arguments(check)
    _add_performance_arguments(check)

    ci = sub.add_parser(
        "ci",
        help="run as a CI integration: 'gate ci github' is the GitHub Action's entrypoint, "
        "'gate ci gitlab' the GitLab component's, 'gate ci tekton' the Tekton Task's",
    )
    ci.add_argument(
        "platform",
        choices=("github", "gitlab", "tekton"),
        help="github: read the action's INPUT_*; gitlab, tekton: read GATE_INPUT_*",
    )
    ci.add_argument(
        "check_args",
        metavar="CHECK-OPTION",
        nargs=argparse.REMAINDER,
        help="gate check options the template always passes, before those of its inputs",
    )

    _add_db_command(sub)
    sbom = sub.add_parser("sbom", help="write the package inventory of an image as CycloneDX")
    sbom.add_argument(
        "--image",
        metavar="REF",
        default=_env("GATE_IMAGE"),
        help="image to inventory (same references as check --image; env GATE_IMAGE)",
    )
    sbom.add_argument(
        "--output", "-o", metavar="FILE", type=Path, help="write here (default: stdout)"
    )
    sbom.add_argument(
        "--platform",
        metavar="OS/ARCH[/VARIANT]",
        default=_env("GATE_PLATFORM"),
        help="platform to pick from a multi-platform image (default: the host's)",
    )
    _add_registry_arguments(sbom, signatures=False)
    _add_performance_arguments(sbom)

    sub.add_parser("version", help="print the version")
    return parser


def _add_report_arguments(check: argparse.ArgumentParser) -> None:
    out = check.add_argument_group("reports")
    out.add_argument("--sarif", metavar="FILE", type=Path, help="write a SARIF 2.1.0 report")
    out.add_argument("--json", metavar="FILE", type=Path, help="write the JSON report")
    out.add_argument("--quiet", action="store_true", help="print only the verdict line")
    out.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress display (it is off anyway when stderr is not a terminal)",
    )

    from gate.report_outputs import add_arguments

    add_arguments(check, out)


def _add_signature_and_config_arguments(check: argparse.ArgumentParser) -> None:
    sig = check.add_argument_group("signatures")
    sig.add_argument(
        "--trusted-root",
        metavar="FILE",
        type=Path,
        default=_env("GATE_TRUSTED_ROOT"),
        help="sigstore trusted_root.json for keyless verification and Rekor entries "
        "(default: the public-good root embedded in sigstore-python; env GATE_TRUSTED_ROOT)",
    )

    cfg = check.add_argument_group("configuration check")
    cfg.add_argument(
        "--compliance",
        metavar="REGIMES",
        nargs="?",
        const="",
        default=None,
        help="print a per-control pass/fail table: comma-separated regimes (cis-docker, "
        "nist-800-53, pci-dss, hipaa, iso-27001); default: the policy's config.compliance, "
        "else all",
    )
    cfg.add_argument(
        "--base-image",
        metavar="REF",
        help="the base image the checked image was built on: its layers are the base's, the "
        "rest the image's own (setuid rule; default: from the Dockerfile or the history)",
    )
    cfg.add_argument(
        "--dockerfiles",
        metavar="PATH",
        nargs="+",
        type=Path,
        default=[],
        help="more Dockerfiles to check with the Dockerfile rules (e.g. every service of a "
        "monorepo in one run)",
    )


def _add_performance_arguments(parser: argparse.ArgumentParser) -> None:
    perf = parser.add_argument_group("performance")
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


def _add_vulnerability_options(check: argparse.ArgumentParser) -> None:
    vuln = check.add_argument_group("vulnerabilities")
    vuln.add_argument(
        "--vuln-db",
        metavar="PATH",
        type=Path,
        action="append",
        default=None,
        help="advisory database: a directory or zip of OSV JSON files (repeatable; default: "
        "the database `gate db update` keeps; env GATE_VULN_DB)",
    )
    vuln.add_argument(
        "--osv-api",
        metavar="URL",
        nargs="?",
        const="https://api.osv.dev",
        default=_env("GATE_OSV_API"),
        help="query osv.dev's batch API instead of a local database (URL default: "
        "https://api.osv.dev)",
    )
    vuln.add_argument(
        "--db-dir",
        metavar="DIR",
        type=Path,
        default=None,
        help="where `gate db update` keeps the database (default: $GATE_DB_DIR or "
        "~/.cache/gate/db)",
    )
    vuln.add_argument(
        "--vex",
        metavar="FILE",
        type=Path,
        action="append",
        default=None,
        help="OpenVEX document: not_affected statements suppress findings, visibly (repeatable)",
    )
    vuln.add_argument(
        "--trivy-json",
        metavar="FILE",
        type=Path,
        action="append",
        default=None,
        help="ingest a Trivy JSON report (trivy --format json) as findings (repeatable)",
    )
    vuln.add_argument(
        "--grype-json",
        metavar="FILE",
        type=Path,
        action="append",
        default=None,
        help="ingest a Grype JSON report (grype -o json) as findings (repeatable)",
    )


def _add_db_command(sub: argparse._SubParsersAction[_Parser]) -> None:
    db = sub.add_parser("db", help="manage the local advisory database")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", parser_class=_Parser)
    update = db_sub.add_parser("update", help="download osv.dev's exports and index them")
    status = db_sub.add_parser("status", help="show the local advisory database")
    for action in (update, status):
        action.add_argument(
            "--db-dir",
            metavar="DIR",
            type=Path,
            default=None,
            help="database directory (default: $GATE_DB_DIR or ~/.cache/gate/db)",
        )
    update.add_argument(
        "--ecosystems",
        metavar="LIST",
        default=None,
        help="comma-separated OSV ecosystems (default: Alpine, Debian, Ubuntu, AlmaLinux, "
        "Rocky Linux, Wolfi, Chainguard, PyPI, npm, Go, Maven, RubyGems, crates.io, NuGet, "
        "Packagist)",
    )
    update.add_argument(
        "--url",
        metavar="URL",
        default=_env("GATE_OSV_EXPORT_URL"),
        help="export mirror serving <URL>/<Ecosystem>/all.zip (default: osv.dev's bucket; "
        "env GATE_OSV_EXPORT_URL)",
    )
    update.add_argument(
        "--timeout", metavar="SECONDS", type=float, default=60.0, help="per-request timeout"
    )
    update.add_argument("--no-progress", action="store_true", help="no progress bar")
def _add_registry_arguments(parser: argparse.ArgumentParser, *, signatures: bool = True) -> None:
    """The registry options of ``gate check`` (and, without ``--signature-source``, of
    ``gate sbom``)."""
    reg = parser.add_argument_group(
        "registry",
        "pulling --image from a registry"
        + (", and --signature-source" if signatures else "")
        + "; credentials come from GATE_REGISTRY_USERNAME/GATE_REGISTRY_PASSWORD, the docker "
        "config, or the CI (docs/registry.md)",
    )
    reg.add_argument(
        "--registry-ca-bundle",
        metavar="FILE",
        default=_env("GATE_REGISTRY_CA_BUNDLE"),
        help="PEM CA certificates to trust for registry TLS (env GATE_REGISTRY_CA_BUNDLE)",
    )
    reg.add_argument(
        "--insecure-registry",
        metavar="HOST[:PORT]",
        action="append",
        default=None,
        help="allow plain HTTP to this registry (repeatable; loopback always may; env "
        "GATE_INSECURE_REGISTRIES, comma-separated)",
    )
    reg.add_argument(
        "--registry-timeout",
        metavar="SECONDS",
        type=float,
        default=30.0,
        help="connect timeout, and longest wait for data on a read (default 30)",
    )
    reg.add_argument(
        "--registry-retries",
        metavar="N",
        type=int,
        default=3,
        help="retries after a 429/5xx answer, connection error or timeout, with "
        "exponential backoff (default 3)",
    )
    if not signatures:
        return
    reg.add_argument(
        "--signature-source",
        metavar="REGISTRY/REPO",
        default=_env("GATE_SIGNATURE_SOURCE"),
        help="look for the image's signatures in this registry repository (e.g. for an "
        "oci: or docker-archive: image; env GATE_SIGNATURE_SOURCE)",
    )


def _registry_extra(args: argparse.Namespace) -> dict[str, object]:
    """``GateRequest.extra["registry"]``: the registry options as one frozen value."""
    return {"registry": _registry_options(args)}


def _registry_options(args: argparse.Namespace) -> RegistryOptions:
    from gate.sources.registry.options import RegistryOptions

    if args.registry_timeout <= 0:
        raise UsageError("--registry-timeout must be more than 0 seconds")
    if not 0 <= args.registry_retries <= 20:
        raise UsageError("--registry-retries must be between 0 and 20")
    if args.registry_ca_bundle is not None and not Path(args.registry_ca_bundle).is_file():
        raise UsageError(f"--registry-ca-bundle {args.registry_ca_bundle}: no such file")
    insecure = list(args.insecure_registry or [])
    env_insecure = _env("GATE_INSECURE_REGISTRIES")
    if env_insecure:
        insecure += [item.strip() for item in env_insecure.split(",") if item.strip()]
    signature_repository = None
    if getattr(args, "signature_source", None):  # gate sbom has no signatures
        from gate.sources.signatures.factory import parse_signature_repository

        signature_repository = str(parse_signature_repository(args.signature_source))
    return RegistryOptions(
        ca_bundle=args.registry_ca_bundle,
        insecure_registries=tuple(dict.fromkeys(insecure)),
        timeout=args.registry_timeout,
        retries=args.registry_retries,
        signature_repository=signature_repository,
    )


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_ERROR


def _main(argv: Sequence[str] | None) -> int:
    # jsonschema imports rfc3987_syntax when it is installed, which compiles a grammar at import
    # (1.5-2.5 s): only the "iri" formats need it and the policy and report schemas use none.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
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
        if args.command == "db":
            return _cmd_db(args, sys.stdout, sys.stderr)
        if args.command == "sbom":
            return _cmd_sbom(args, sys.stdout, sys.stderr)
        if args.command == "ci":
            return _cmd_ci(args)
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

    if args.format == "list":
        from gate.report_outputs import print_formats

        print_formats(stdout)
        return EXIT_PASS
    if (
        args.image is None
        and args.context is None
        and args.dockerfile is None
        and not args.dockerfiles
        and args.sbom is None
    ):
        raise UsageError("nothing to check: give --image, --context, or both")
    for extra in args.dockerfiles:
        if not extra.is_file():
            raise UsageError(f"--dockerfiles {extra}: no such file")
    compliance = _parse_regimes(args.compliance)
    if args.context is not None and not args.context.is_dir():
        raise UsageError(f"--context {args.context}: not a directory")
    if args.dockerfile is not None and not args.dockerfile.is_file():
        raise UsageError(f"--dockerfile {args.dockerfile}: no such file")
    if args.jobs < 0:
        raise UsageError("--jobs must be 0 (one per CPU) or more")
    if args.trusted_root is not None and not Path(args.trusted_root).is_file():
        raise UsageError(f"--trusted-root {args.trusted_root}: no such file")

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
        extra={
            **_signature_inputs(args),
            **_config_extra(args, compliance, policy),
            **_vulnerability_extra(args),
            **_registry_extra(args),
            **({"sbom": str(args.sbom)} if args.sbom else {}),
        },
    )
    from gate.status_line import LayerProgress, StatusLine

    line = StatusLine.on(stderr, wanted=not args.no_progress)
    progress = LayerProgress(line) if line.interactive else None
    report = run_gate(request, layer_progress=progress)
    if progress:
        progress.done()

    # Reports, stdout, then the CI posts: a failing post is a warning, never a verdict.
    from gate.report_outputs import publish, write_reports, write_stdout

    written = write_reports(report, args)
    write_stdout(report, args, written, stdout)
    publish(report, args, written, stdout, stderr)
    return report.decision.verdict.exit_code


def _signature_inputs(args: argparse.Namespace) -> dict[str, object]:
    """``GateRequest.extra`` entries of the signature check."""
    return {"trusted_root": Path(args.trusted_root)} if args.trusted_root else {}


def _parse_regimes(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    from gate.policy.compliance import known_regimes

    regimes = tuple(dict.fromkeys(p.strip() for p in value.split(",") if p.strip()))
    unknown = [r for r in regimes if r not in known_regimes()]
    if unknown:
        raise UsageError(
            f"--compliance: unknown regime {unknown[0]!r} (known: {', '.join(known_regimes())})"
        )
    return regimes


def _config_extra(
    args: argparse.Namespace, compliance: tuple[str, ...] | None, policy: object
) -> dict[str, object]:
    from gate.policy.compliance import known_regimes
    from gate.policy.model import Policy

    assert isinstance(policy, Policy)
    extra: dict[str, object] = {}
    if args.dockerfiles:
        extra["config.dockerfiles"] = tuple(args.dockerfiles)
    if args.base_image:
        extra["config.base_image"] = args.base_image
    if compliance is not None:
        # --compliance alone: the policy's regimes, else every regime gate knows.
        extra["compliance_regimes"] = compliance or policy.config.compliance or known_regimes()
    return extra


def _vulnerability_extra(args: argparse.Namespace) -> dict[str, object]:
    """The vulnerabilities check's inputs for ``GateRequest.extra``; files checked here so a
    typo fails before the image is read."""
    vuln_db = list(args.vuln_db or [])
    if not vuln_db and _env("GATE_VULN_DB"):
        vuln_db = [Path(p) for p in str(_env("GATE_VULN_DB")).split(os.pathsep) if p]
    if vuln_db and args.osv_api:
        raise UsageError("--vuln-db and --osv-api are exclusive: choose one advisory source")
    for path in vuln_db:
        if not path.exists():
            raise UsageError(f"--vuln-db {path}: no such file or directory")
    for flag, paths in (
        ("--vex", args.vex),
        ("--trivy-json", args.trivy_json),
        ("--grype-json", args.grype_json),
    ):
        for path in paths or ():
            if not path.is_file():
                raise UsageError(f"{flag} {path}: no such file")
    return {
        "vuln_db": tuple(vuln_db),
        "osv_api": args.osv_api,
        "db_dir": args.db_dir,
        "vex": tuple(args.vex or ()),
        "trivy_json": tuple(args.trivy_json or ()),
        "grype_json": tuple(args.grype_json or ()),
    }


def _cmd_db(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from gate.matchers.database import default_db_dir, describe

    db_dir = args.db_dir or default_db_dir()
    if args.db_command == "update":
        from gate.matchers.db_update import (
            DEFAULT_ECOSYSTEMS,
            DEFAULT_EXPORT_URL,
            TerminalProgress,
            update_database,
        )

        ecosystems = (
            tuple(e.strip() for e in args.ecosystems.split(",") if e.strip())
            if args.ecosystems is not None
            else DEFAULT_ECOSYSTEMS
        )
        if not ecosystems:
            raise UsageError("--ecosystems needs at least one ecosystem")
        from gate.status_line import StatusLine

        progress = TerminalProgress(StatusLine.on(stderr, wanted=not args.no_progress))
        _results, index = update_database(
            db_dir,
            ecosystems,
            base_url=args.url or DEFAULT_EXPORT_URL,
            timeout=args.timeout,
            progress=progress,
        )
        stdout.write(f"advisory database updated: {describe(index.info)}\n")
        index.close()
        return EXIT_PASS
    if args.db_command == "status":
        from gate.matchers.advisory_index import AdvisoryIndex
        from gate.matchers.database import INDEX_NAME, NO_DATABASE_HINT

        path = db_dir / INDEX_NAME
        if not path.is_file():
            raise GateError(f"no advisory database in {db_dir}", hint=NO_DATABASE_HINT)
        index = AdvisoryIndex.open(path)
        stdout.write(f"{describe(index.info)}\necosystems: {', '.join(index.info.ecosystems)}\n")
        index.close()
        return EXIT_PASS
    raise UsageError("gate db: give an action: update or status")


def _cmd_sbom(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from gate.layer_walk import WalkOptions
    from gate.pipeline import run_inventory
    from gate.reporters.cyclonedx import render_sbom

    if args.image is None:
        raise UsageError("gate sbom needs --image")
    if args.jobs < 0:
        raise UsageError("--jobs must be 0 (one per CPU) or more")
    cache_dir = None if args.no_cache else (args.cache_dir or _default_cache_dir())
    inventory, summary = run_inventory(
        args.image,
        args.platform,
        WalkOptions(cache_dir=cache_dir, jobs=args.jobs),
        registry=_registry_options(args),
    )
    text = render_sbom(inventory, summary)
    if args.output is None:
        stdout.write(text)
        stdout.flush()
    else:
        from gate.report_outputs import write_file

        write_file(args.output, text, "SBOM")
    for note in inventory.notes:
        print(f"gate: note: {note.kind} ({note.count}): {note.detail}", file=stderr)
    where = f" to {args.output}" if args.output else ""
    print(f"gate: sbom: {len(inventory.packages)} packages of {summary.reference}{where}",
          file=stderr)
    return EXIT_PASS


def _cmd_ci(args: argparse.Namespace) -> int:
    """``gate ci PLATFORM``: the template's inputs (``INPUT_*``, ``GATE_INPUT_*``) become
    ``gate check`` options."""
    from gate.integrations.ci_inputs import ci_argv, db_update_argv, github_token

    argv = ci_argv(args.platform, os.environ, tuple(args.check_args))
    update = db_update_argv(args.platform, os.environ)
    token = github_token(os.environ) if args.platform == "github" else None
    if token and not _env("GATE_GITHUB_TOKEN"):
        # Handed on in the environment only: a command line is visible to every process.
        os.environ["GATE_GITHUB_TOKEN"] = token
    if update is not None:
        # A failed update is exit 2 and no check: never a verdict on a stale database.
        code = main(update)
        if code != EXIT_PASS:
            return code
    return main(argv)

