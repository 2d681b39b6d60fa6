"""The gate's data flow, in one place.

sources (image, build context, policy) -> layer walk -> analyzers (secrets, configuration,
packages) -> matchers (advisories) and verifiers (signatures) -> policy evaluation -> Report.
Nothing here reads CLI flags: the CLI builds a :class:`GateRequest`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gate import __version__
from gate.analyzers.interface import (
    Analyzer,
    BuildContext,
    LayerFileAnalyzer,
    LayerScan,
    ScanTarget,
)
from gate.errors import UsageError
from gate.layer_walk import ProgressCallback, WalkOptions, walk_layers
from gate.models import Check, CheckResult, ImageSummary, Inventory, Report
from gate.policy.evaluate import evaluate
from gate.policy.model import Policy
from gate.sources.image.model import Image

if TYPE_CHECKING:
    from gate.sources.registry.options import RegistryOptions

StatusCallback = Callable[[str], None]


@dataclass(frozen=True)
class GateRequest:
    """Everything one gate run needs, resolved from the CLI, the environment and the policy."""

    policy: Policy
    policy_path: str
    image_ref: str | None = None
    platform: str | None = None
    context_dir: Path | None = None
    dockerfile: Path | None = None
    target_stage: str | None = None
    repo_root: Path | None = None
    """Findings in the context and Dockerfile are located relative to this directory."""
    checks: tuple[Check, ...] | None = None
    """Explicit ``--checks``; None means every check the policy enables."""
    walk: WalkOptions = field(default_factory=WalkOptions)
    fail_on: str | None = None
    baseline_path: Path | None = None
    today: dt.date = field(default_factory=dt.date.today)
    extra: dict[str, Any] = field(default_factory=dict)
    """Check-specific inputs (advisory database, VEX, signature source, registry options)."""


def selected_checks(request: GateRequest) -> tuple[Check, ...]:
    if request.checks is not None:
        return request.checks
    return tuple(request.policy.enabled_checks())


def run_gate(
    request: GateRequest,
    *,
    status: StatusCallback | None = None,
    layer_progress: ProgressCallback | None = None,
) -> Report:
    started = time.monotonic()
    checks = selected_checks(request)
    if (
        request.image_ref is None
        and request.context_dir is None
        and request.dockerfile is None
        and "sbom" not in request.extra
    ):
        raise UsageError("nothing to check: give --image, --context, or both")
    if "sbom" in request.extra and Check.VULNERABILITIES not in checks:
        raise UsageError("--sbom is read only by the vulnerabilities check, which this run "
                         "does not include (policy [checks] or --checks)")

    image = _open_image(request) if request.image_ref else None
    context = _load_context(request) if request.context_dir else None
    if status and image:
        status(f"image {image.reference} {image.manifest_digest} ({len(image.layers)} layers)")

    file_analyzers = _file_analyzers(checks, request)
    layers: tuple[LayerScan, ...] = ()
    if image is not None and file_analyzers:
        layers = walk_layers(image, file_analyzers, request.walk, layer_progress)

    dockerfile = _dockerfile(request)
    shared = ScanTarget(
        image=image,
        layers=layers,
        context=context,
        dockerfile=dockerfile,
        dockerfile_repo_path=_repo_relative(dockerfile, request) if dockerfile else None,
        target_stage=request.target_stage,
    )
    results: list[CheckResult] = []
    for check in checks:
        analyzer = _analyzer(check)
        # One target per check differing only in options: derived state (the merged
        # filesystem view) is built once and shared.
        target = replace(shared, options=_check_options(check, request, layers))
        if status:
            status(f"running {check.value} check")
        results.append(analyzer.run(target))

    results = _attribute(results, image, dockerfile, request)
    baseline = _load_baseline(request.baseline_path) if request.baseline_path else None
    decision = evaluate(
        request.policy,
        results,
        today=request.today,
        checks_run=checks,
        fail_on=request.fail_on,
        baseline=baseline,
    )
    from gate.policy.compliance import compliance_summary

    return Report(
        compliance=compliance_summary(results, decision, _compliance_regimes(request)),
        tool_version=__version__,
        generated_at=dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        policy_path=request.policy_path,
        image=image.summary() if image else None,
        context_path=str(request.context_dir) if request.context_dir else None,
        checks=tuple(results),
        decision=decision,
        duration_seconds=round(time.monotonic() - started, 3),
    )


def _open_image(request: GateRequest) -> Image:
    from gate.sources.image import open_image

    assert request.image_ref is not None
    image = open_image(request.image_ref, request.platform, request.extra.get("registry"))
    return redact_layer_history(image)


def _load_context(request: GateRequest) -> BuildContext:
    from gate.sources.context import load_context

    assert request.context_dir is not None
    return load_context(
        request.context_dir,
        dockerfile=_dockerfile(request),
        repo_root=request.repo_root,
    )


def _dockerfile(request: GateRequest) -> Path | None:
    if request.dockerfile is not None:
        return request.dockerfile
    if request.context_dir is not None:
        candidate = request.context_dir / "Dockerfile"
        if candidate.is_file():
            return candidate
    return None


def _repo_relative(path: Path, request: GateRequest) -> str:
    root = (request.repo_root or Path.cwd()).resolve()
    resolved = path.resolve()
    try:
        return resolved.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _file_analyzers(checks: Sequence[Check], request: GateRequest) -> list[LayerFileAnalyzer]:
    """Only the file analyzers the selected checks need: a secrets-only run reads no package db."""
    analyzers: list[LayerFileAnalyzer] = []
    if Check.SECRETS in checks:
        from gate.analyzers.secrets.file_analyzer import SecretFileAnalyzer

        analyzers.append(SecretFileAnalyzer(max_file_size=request.policy.secrets.max_file_size))
    if Check.CONFIG in checks:
        from gate.analyzers.config.file_analyzer import ConfigFileAnalyzer
        from gate.analyzers.os_release import OsReleaseFileAnalyzer

        names = {a.name for a in analyzers}
        analyzers += [a for a in (OsReleaseFileAnalyzer(), ConfigFileAnalyzer())
                      if a.name not in names]
    if Check.VULNERABILITIES in checks and "sbom" not in request.extra:
        analyzers.extend(_inventory_analyzers(analyzers))
    return analyzers


def _inventory_analyzers(present: Sequence[LayerFileAnalyzer]) -> list[LayerFileAnalyzer]:
    """The package inventory's file analyzers (the OS one only once if another check has it)."""
    from gate.analyzers.os_release import OsReleaseFileAnalyzer
    from gate.analyzers.packages.file_analyzer import PackageFileAnalyzer

    names = {a.name for a in present}
    wanted: list[LayerFileAnalyzer] = [PackageFileAnalyzer(), OsReleaseFileAnalyzer()]
    return [a for a in wanted if a.name not in names]


def _inventory(request: GateRequest, layers: Sequence[LayerScan]) -> Inventory | None:
    """What the vulnerability check matches: an inventory given by the caller, the SBOM given
    with --sbom, else the image's packages; None when there is neither image nor SBOM (a
    context-only run, where the check does not apply)."""
    given = request.extra.get("inventory")
    if isinstance(given, Inventory):
        return given
    if "sbom" in request.extra:
        from gate.sources.sbom import read_sbom

        return read_sbom(Path(request.extra["sbom"]))
    if request.image_ref is None:
        return None
    from gate.analyzers.packages.inventory import build_inventory

    return build_inventory(layers, request.image_ref)


def run_inventory(
    image_ref: str,
    platform: str | None = None,
    walk: WalkOptions | None = None,
    layer_progress: ProgressCallback | None = None,
    registry: RegistryOptions | None = None,
) -> tuple[Inventory, ImageSummary]:
    """``gate sbom``: the package inventory of one image (and its summary for the SBOM);
    ``registry`` as ``GateRequest.extra["registry"]`` for ``gate check``."""
    from gate.analyzers.packages.inventory import build_inventory
    from gate.sources.image import open_image

    image = redact_layer_history(open_image(image_ref, platform, registry))
    layers = walk_layers(image, _inventory_analyzers([]), walk or WalkOptions(), layer_progress)
    return build_inventory(layers, image.reference), image.summary()


def _analyzer(check: Check) -> Analyzer:
    if check is Check.SECRETS:
        from gate.analyzers.secrets.analyzer import SecretsAnalyzer

        return SecretsAnalyzer()
    if check is Check.SIGNATURE:
        from gate.verifiers.signature_check import SignatureVerifier

        return SignatureVerifier()
    if check is Check.CONFIG:
        from gate.analyzers.config.analyzer import ConfigAnalyzer

        return ConfigAnalyzer()
    if check is Check.VULNERABILITIES:
        from gate.analyzers.vulnerabilities import VulnerabilitiesAnalyzer

        return VulnerabilitiesAnalyzer()
    raise UsageError(f"the {check.value} check is not available in this build of gate")


def _check_options(
    check: Check, request: GateRequest, layers: Sequence[LayerScan]
) -> dict[str, Any]:
    policy = request.policy
    options: dict[str, Any] = {"today": request.today}
    if check is Check.SECRETS:
        options.update(
            scan_context=policy.secrets.scan_context,
            scan_history=policy.secrets.scan_history,
            max_file_size=policy.secrets.max_file_size,
        )
    elif check is Check.SIGNATURE:
        options.update(
            signature_policy=policy.signature,
            signature_source=request.extra.get("signature_source"),
            registry=request.extra.get("registry"),
            trusted_root=request.extra.get("trusted_root"),
            policy_source=request.policy_path,
        )
    elif check is Check.CONFIG:
        config = policy.config
        options.update(
            pin_base_digest=config.pin_base_digest,
            allowed_registries=config.allowed_registries,
            max_image_age_days=config.max_image_age_days,
            required_labels=config.required_labels,
            dockerfiles=tuple(
                (path, _repo_relative(path, request))
                for path in request.extra.get("config.dockerfiles", ())
            ),
            base_diff_ids=_base_diff_ids(request),
        )
    elif check is Check.VULNERABILITIES:
        options.update(_vulnerability_options(request))
        options["inventory"] = _inventory(request, layers)
    return options


def _base_diff_ids(request: GateRequest) -> tuple[str, ...] | None:
    """``--base-image``: its layers are the base of the checked image (configuration check)."""
    ref = request.extra.get("config.base_image")
    if not ref:
        return None
    from gate.sources.image import open_image

    return open_image(str(ref), request.platform, request.extra.get("registry")).config.diff_ids


def _vulnerability_options(request: GateRequest) -> dict[str, Any]:
    """``GateRequest.extra`` keys of the vulnerabilities check (set by the CLI): ``inventory``
    (an Inventory), ``vuln_db`` (paths), ``osv_api`` (URL), ``db_dir``, ``vex``,
    ``trivy_json``, ``grype_json`` (paths). Indexes of ``--vuln-db`` sources are cached beside
    the layer cache."""
    from gate.matchers.database import DatabaseChoice

    extra = request.extra
    cache = request.walk.cache_dir
    return {
        "max_db_age_days": request.policy.vulnerabilities.max_db_age_days,
        "policy_path": request.policy_path,
        "database": DatabaseChoice(
            vuln_db=tuple(Path(p) for p in extra.get("vuln_db") or ()),
            osv_api=extra.get("osv_api"),
            db_dir=Path(extra["db_dir"]) if extra.get("db_dir") else None,
            index_cache=cache,
        ),
        "vex": tuple(Path(p) for p in extra.get("vex") or ()),
        "trivy_json": tuple(Path(p) for p in extra.get("trivy_json") or ()),
        "grype_json": tuple(Path(p) for p in extra.get("grype_json") or ()),
    }


def _attribute(
    results: list[CheckResult], image: Image | None, dockerfile: Path | None, request: GateRequest
) -> list[CheckResult]:
    """Every finding located in an image layer gets the Dockerfile line that made the layer."""
    if image is None or dockerfile is None:
        return results
    from gate.layer_attribution import attribute_findings

    return attribute_findings(
        results,
        image,
        dockerfile,
        _repo_relative(dockerfile, request),
        request.target_stage,
        _base_diff_ids(request),
    )


def _compliance_regimes(request: GateRequest) -> tuple[str, ...]:
    """``--compliance REGIMES``, else the policy's ``config.compliance``; none otherwise."""
    asked = request.extra.get("compliance_regimes")
    if asked:
        return tuple(asked)
    return tuple(request.policy.config.compliance)


def redact_layer_history(image: Image) -> Image:
    """``image`` with secrets masked in the ``created_by`` of its layers, before any stage sees
    them: build arguments (``|1 TOKEN=...``) and ``ENV`` values are recorded there verbatim, and
    every finding and report carries its layer. The config's own history keeps the raw text:
    the secrets check reads it there to report (masked) what leaked."""
    from gate.analyzers.secrets.analyzer import redact_text

    layers = tuple(
        replace(blob, ref=replace(blob.ref, created_by=redact_text(blob.ref.created_by)))
        if blob.ref.created_by
        else blob
        for blob in image.layers
    )
    return replace(image, layers=layers)


def _load_baseline(path: Path) -> Any:
    from gate.reporters.json_report import load_baseline

    return load_baseline(path)


__all__ = ["GateRequest", "Report", "replace", "run_gate", "run_inventory", "selected_checks"]
