"""The JSON report: everything a machine needs, in a documented, versioned schema.

The schema ships with the package (``gate/reporters/report.schema.json``, described in
``docs/reports.md``); tests validate every rendered report against it. A report is also the
baseline of a later run (:func:`load_baseline`), so it round-trips findings: fingerprint, rule,
check, severity, location and status. Secrets appear only as the analyzers hand them over:
masked ``evidence``/``message`` and a keyed ``fingerprint``; this module adds no raw data.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from gate.errors import InputError
from gate.models import (
    Check,
    CheckResult,
    ControlResult,
    EvaluatedFinding,
    ExceptionRef,
    Finding,
    FindingStatus,
    Fingerprint,
    ImageSummary,
    LayerRef,
    Location,
    LocationKind,
    PackageRef,
    PropertyValue,
    Report,
    Rule,
    RuleID,
    Severity,
)
from gate.policy.baseline import Baseline
from gate.sources.json_file import read_json

SCHEMA_VERSION = "1.1"
"""1.1: ``compliance`` (per-control status of the regimes the run reports on)."""


@functools.cache
def report_schema() -> Mapping[str, Any]:
    """The JSON Schema of the report (Draft 2020-12)."""
    text = (resources.files("gate") / "reporters" / "report.schema.json").read_text(
        encoding="utf-8"
    )
    schema: dict[str, Any] = json.loads(text)
    return schema


class JsonReporter:
    """``--json FILE``: the report as JSON (schema version :data:`SCHEMA_VERSION`)."""

    name = "json"
    default_filename = "gate-report.json"

    def __init__(self, *, indent: int | None = 2) -> None:
        self.indent = indent

    def render(self, report: Report) -> str:
        return json.dumps(report_document(report), indent=self.indent, ensure_ascii=False) + "\n"


def report_document(report: Report) -> dict[str, Any]:
    """The report as a JSON-ready dict (what :class:`JsonReporter` serialises)."""
    decision = report.decision
    per_check = Counter(e.finding.check for e in decision.findings)
    statuses = Counter(e.status for e in decision.findings)
    severities = Counter(
        e.finding.severity for e in decision.findings if e.status is not FindingStatus.SUPPRESSED
    )
    has_baseline = any(e.baseline is not None for e in decision.findings) or bool(decision.fixed)
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "gate", "version": report.tool_version},
        "generated_at": report.generated_at,
        "duration_seconds": report.duration_seconds,
        "policy": {"path": report.policy_path, "mode": decision.mode},
        "target": {
            "image": _image(report.image) if report.image else None,
            "context": report.context_path,
        },
        "verdict": decision.verdict.value,
        "exit_code": decision.verdict.exit_code,
        "violations": [
            {"check": v.check.value if v.check else None, "message": v.message}
            for v in decision.violations
        ],
        "checks_run": [c.value for c in decision.checks_run],
        "summary": {
            "findings": len(decision.findings),
            "blocking": statuses[FindingStatus.BLOCKING],
            "allowed": statuses[FindingStatus.ALLOWED],
            "suppressed": statuses[FindingStatus.SUPPRESSED],
            "by_severity": {s.value: severities[s] for s in Severity},
            "new": sum(e.baseline == "new" for e in decision.findings) if has_baseline else None,
            "fixed": len(decision.fixed) if has_baseline else None,
        },
        "checks": [_check(result, per_check[result.check]) for result in report.checks],
        "findings": [_evaluated(e) for e in decision.findings],
        "exceptions": {
            "expired": [_exception(x) for x in decision.expired_exceptions],
            "unused": [_exception(x) for x in decision.unused_exceptions],
        },
        "baseline": {"fixed": [_finding(f) for f in decision.fixed]} if has_baseline else None,
        "compliance": [_control(c) for c in report.compliance],
    }


def _control(control: ControlResult) -> dict[str, Any]:
    return {
        "regime": control.regime,
        "control": control.control,
        "title": control.title,
        "status": control.status,
        "rules": list(control.rules),
        "findings": list(control.findings),
        "suppressed": control.suppressed,
    }


def _image(image: ImageSummary) -> dict[str, Any]:
    return {
        "reference": image.reference,
        "manifest_digest": image.manifest_digest,
        "config_digest": image.config_digest,
        "platform": image.platform,
        "created": image.created,
        "layers": [_layer(layer) for layer in image.layers],
    }


def _layer(layer: LayerRef) -> dict[str, Any]:
    return {
        "index": layer.index,
        "digest": layer.digest,
        "diff_id": layer.diff_id,
        "created_by": layer.created_by,
    }


def _check(result: CheckResult, findings: int) -> dict[str, Any]:
    return {
        "check": result.check.value,
        "findings": findings,
        "stats": dict(result.stats),
        "metadata": _properties(result.metadata),
        "notes": [{"kind": n.kind, "count": n.count, "detail": n.detail} for n in result.notes],
        "rules": [_rule(rule) for rule in result.rules],
    }


def _rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "check": rule.check.value,
        "title": rule.title,
        "severity": rule.severity.value,
        "description": rule.description,
        "remediation": rule.remediation,
        "tags": list(rule.tags),
        "help_uri": rule.help_uri,
    }


def _properties(values: Mapping[str, PropertyValue]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


def _location(location: Location) -> dict[str, Any]:
    return {
        "kind": location.kind.value,
        "path": location.path,
        "start_line": location.start_line,
        "end_line": location.end_line,
        "layer": _layer(location.layer) if location.layer else None,
        "removed_in": _layer(location.removed_in) if location.removed_in else None,
        "attributed_to": _location(location.attributed_to) if location.attributed_to else None,
    }


def _package(package: PackageRef) -> dict[str, Any]:
    return {
        "name": package.name,
        "version": package.version,
        "ecosystem": package.ecosystem,
        "purl": package.purl,
        "source_name": package.source_name,
        "source_version": package.source_version,
    }


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "check": finding.check.value,
        "rule_id": finding.rule_id,
        "severity": finding.severity.value,
        "message": finding.message,
        "fingerprint": finding.fingerprint,
        "evidence": finding.evidence,
        "location": _location(finding.location),
        "package": _package(finding.package) if finding.package else None,
        "vulnerability_id": finding.vulnerability_id,
        "aliases": list(finding.aliases),
        "cvss_score": finding.cvss_score,
        "fixed_versions": list(finding.fixed_versions),
        "properties": _properties(finding.properties),
    }


def _exception(ref: ExceptionRef) -> dict[str, Any]:
    return {
        "index": ref.index,
        "reason": ref.reason,
        "expires": ref.expires,
        "rule": ref.rule,
        "fingerprint": ref.fingerprint,
        "path": ref.path,
        "expired": ref.expired,
    }


def _evaluated(evaluated: EvaluatedFinding) -> dict[str, Any]:
    doc = _finding(evaluated.finding)
    doc.update(
        status=evaluated.status.value,
        reason=evaluated.reason,
        exception=_exception(evaluated.exception) if evaluated.exception else None,
        baseline=evaluated.baseline,
    )
    return doc


# -- reading a report back: the baseline ---------------------------------------------------


def load_baseline(path: Path) -> Baseline:
    """The findings of an earlier JSON report. Raises :class:`~gate.errors.InputError` naming
    the file for an unreadable, non-JSON, other-major-version or schema-invalid report."""
    doc = read_json(path, f"baseline {path}")
    version = doc.get("schema_version") if isinstance(doc, dict) else None
    if not isinstance(version, str) or version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise InputError(
            f"baseline {path}: not a gate JSON report of schema version 1.x "
            f"(schema_version: {version!r})",
            hint="give the --json output of an earlier gate run",
        )
    import jsonschema  # only a baseline is validated; writing a report needs none of it

    validator = jsonschema.Draft202012Validator(report_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(doc))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise InputError(f"baseline {path}: invalid report at {where}: {error.message}")
    findings = tuple(finding_from_json(item) for item in doc["findings"])
    return Baseline.from_findings(findings, source=str(path))


def finding_from_json(doc: Mapping[str, Any]) -> Finding:
    """A :class:`~gate.models.Finding` from its report form (schema-valid input)."""
    package = doc["package"]
    return Finding(
        check=Check(doc["check"]),
        rule_id=RuleID(doc["rule_id"]),
        severity=Severity(doc["severity"]),
        message=doc["message"],
        location=_location_from_json(doc["location"]),
        fingerprint=Fingerprint(doc["fingerprint"]),
        evidence=doc["evidence"],
        package=PackageRef(**package) if package else None,
        vulnerability_id=doc["vulnerability_id"],
        aliases=tuple(doc["aliases"]),
        cvss_score=doc["cvss_score"],
        fixed_versions=tuple(doc["fixed_versions"]),
        properties={
            k: tuple(v) if isinstance(v, list) else v for k, v in doc["properties"].items()
        },
    )


def _layer_from_json(doc: Mapping[str, Any] | None) -> LayerRef | None:
    return LayerRef(**doc) if doc else None


def _location_from_json(doc: Mapping[str, Any]) -> Location:
    attributed = doc["attributed_to"]
    return Location(
        kind=LocationKind(doc["kind"]),
        path=doc["path"],
        start_line=doc["start_line"],
        end_line=doc["end_line"],
        layer=_layer_from_json(doc["layer"]),
        removed_in=_layer_from_json(doc["removed_in"]),
        attributed_to=_location_from_json(attributed) if attributed else None,
    )


__all__ = [
    "SCHEMA_VERSION",
    "JsonReporter",
    "finding_from_json",
    "load_baseline",
    "report_document",
]
