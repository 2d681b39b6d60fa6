"""The configuration check (``Check.CONFIG``): Dockerfile rules, image rules, one result.

Inputs (all optional): the Dockerfile (and more Dockerfiles to lint, ``options["dockerfiles"]``),
the build context, the image config and the layer walk's entries. Only the rules whose inputs
are present run, and only those are listed in the result (a listed rule without findings
passed). Options come from the policy's ``[config]`` table (:func:`gate.pipeline._check_options`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gate.analyzers.config.dockerfile_checks import DockerfileChecks
from gate.analyzers.config.hits import Hit
from gate.analyzers.config.image_checks import ImageChecks
from gate.analyzers.config.rules import RULES, RULES_BY_ID
from gate.analyzers.filesystem import FilesystemView
from gate.analyzers.interface import ScanTarget
from gate.errors import InputError
from gate.layer_attribution import attribute_layers
from gate.models import (
    Check,
    CheckResult,
    Finding,
    Location,
    PropertyValue,
    RuleID,
    ScanNote,
)
from gate.redact import fingerprint
from gate.sources.dockerfile import Dockerfile
from gate.sources.dockerfile.cache import load_dockerfile


class ConfigAnalyzer:
    check = Check.CONFIG

    def run(self, target: ScanTarget) -> CheckResult:
        options = target.options
        today = options.get("today") or dt.date.today()
        if not isinstance(today, dt.date):
            raise InputError(f"config: option today must be a date, got {today!r}")
        hits: list[Hit] = []
        evaluated: set[str] = set()
        notes: dict[str, tuple[int, str]] = {}
        metadata: dict[str, PropertyValue] = {}
        stats = {"dockerfiles": 0, "instructions": 0}

        dockerfile: Dockerfile | None = None
        if target.dockerfile is not None:
            shown = target.dockerfile_repo_path or target.dockerfile.as_posix()
            dockerfile = load_dockerfile(target.dockerfile, shown)
            checks = DockerfileChecks(
                dockerfile,
                shown,
                target=target.target_stage,
                context=target.context,
                pin_base_digest=bool(options.get("pin_base_digest", False)),
                allowed_registries=tuple(options.get("allowed_registries", ())),
                image_present=target.image is not None,
            )
            hits += checks.run()
            evaluated |= checks.evaluated
            stats["dockerfiles"] += 1
            stats["instructions"] += len(dockerfile.instructions)
            _unresolved_notes(dockerfile, notes)
        for path, shown in _extra_dockerfiles(options):
            extra = load_dockerfile(path, shown)
            checks = DockerfileChecks(
                extra,
                shown,
                pin_base_digest=bool(options.get("pin_base_digest", False)),
                allowed_registries=tuple(options.get("allowed_registries", ())),
            )
            hits += checks.run()
            evaluated |= checks.evaluated
            stats["dockerfiles"] += 1
            stats["instructions"] += len(extra.instructions)
            _unresolved_notes(extra, notes)

        if target.image is not None:
            image = target.image
            attribution = attribute_layers(
                image.config,
                len(image.layers),
                dockerfile,
                target.target_stage,
                options.get("base_diff_ids"),
            )
            view = FilesystemView.from_layers(target.layers)
            os = None
            if target.layers:
                from gate.analyzers.os_release import os_info

                os = os_info(target.layers, view)
            chain = dockerfile.final_chain(target.target_stage) if dockerfile else ()
            image_checks = ImageChecks(
                config=image.config,
                layers=target.layers,
                reference=image.reference,
                today=today,
                own_from=attribution.base_layers or 0,
                own_rule=attribution.rule,
                max_image_age_days=int(options.get("max_image_age_days", 0)),
                required_labels=tuple(options.get("required_labels", ())),
                dockerfile=dockerfile,
                dockerfile_path=target.dockerfile_repo_path if dockerfile else None,
                chain=chain,
                os=os,
            )
            hits += image_checks.run(view)
            evaluated |= image_checks.evaluated
            notes.update(image_checks.notes)
            metadata.update(image_checks.metadata)
            metadata["layer_attribution"] = attribution.rule
            stats["layers"] = len(image.layers)
            if dockerfile is not None:
                stats["layers_attributed"] = len(attribution.by_layer)

        findings = [_finding(hit) for hit in hits]
        findings.sort(key=lambda f: (f.location.path, f.location.start_line or 0, f.rule_id))
        rules = tuple(RULES_BY_ID[r.id].as_rule() for r in RULES if r.id in evaluated)
        return CheckResult(
            check=Check.CONFIG,
            findings=tuple(_dedupe(findings)),
            rules=rules,
            notes=tuple(ScanNote(kind, count, detail) for kind, (count, detail) in notes.items()),
            stats=stats,
            metadata=metadata,
        )


def _extra_dockerfiles(options: Mapping[str, Any]) -> Sequence[tuple[Path, str]]:
    extra = options.get("dockerfiles", ())
    result = []
    for item in extra:
        if isinstance(item, tuple):
            result.append((Path(item[0]), str(item[1])))
        else:
            result.append((Path(item), Path(item).as_posix()))
    return result


def _unresolved_notes(dockerfile: Dockerfile, notes: dict[str, tuple[int, str]]) -> None:
    unresolved = [s for s in dockerfile.stages if s.base_resolved is None]
    if unresolved:
        count, _ = notes.get("base-image-unresolved", (0, ""))
        notes["base-image-unresolved"] = (
            count + len(unresolved),
            "FROM lines whose image comes from a build argument without a default: base image "
            "rules could not check them",
        )


def _finding(hit: Hit) -> Finding:
    rule = RULES_BY_ID[hit.rule_id]
    stable_path = hit.path if hit.fingerprint_path is None else hit.fingerprint_path
    return Finding(
        check=Check.CONFIG,
        rule_id=RuleID(rule.id),
        severity=hit.severity or rule.severity,
        message=hit.message,
        location=Location(
            kind=hit.kind,
            path=hit.path,
            start_line=hit.start_line,
            end_line=hit.end_line,
            layer=hit.layer,
            attributed_to=hit.attributed_to,
        ),
        fingerprint=fingerprint(f"config\0{rule.id}\0{stable_path}\0{hit.identity}"),
        evidence=hit.evidence,
        properties=dict(hit.properties),
    )


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, int | None]] = set()
    unique = []
    for f in findings:
        key = (f.fingerprint, f.location.path, f.location.start_line)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique
