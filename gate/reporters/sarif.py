"""SARIF 2.1.0 report (OASIS SARIF 2.1.0 errata 01), shaped for GitHub code scanning.

Built with the ``sarif-om`` object model, then serialised by :func:`sarif_json`, which maps
each attrs field to its SARIF property name (the ``schema_property_name`` metadata) and leaves
out unset values. One run; one result per evaluated finding; every rule the checks ran in
``tool.driver.rules``. Results are located:

* build context, Dockerfile and policy findings at their repository-relative path under
  ``%SRCROOT%`` with a line region;
* image findings attributed to a Dockerfile line at that line, the in-image path kept in a
  logical location and in ``properties``;
* other image files at their in-image path (no leading ``/``) under ``IMAGE`` (the image's
  root filesystem), image config/history/manifest facts under ``IMAGE_METADATA``
  (``config/Env``, ``history/3``, ``manifest``): GitHub shows a result only with a location.

Findings excepted by the policy are results with a ``suppressions`` entry (kind ``external``:
the justification lives in the policy file, not in the scanned source). Messages and evidence
are the analyzers' masked forms; nothing here sees a raw secret.

GitHub refuses an upload over its limits (:mod:`gate.reporters.github_limits`): the log keeps
the most important results (blocking, then the worst severity), drops the rest, and says so in
``invocations[0].toolExecutionNotifications`` (``results-trimmed``) and
``runs[0].properties.trimmed``; the JSON report keeps every finding.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

import attr
import sarif_om as om  # type: ignore[import-untyped]

from gate.models import (
    EvaluatedFinding,
    FindingStatus,
    LayerRef,
    Location,
    LocationKind,
    Report,
    Rule,
    RuleID,
    Severity,
    Verdict,
)
from gate.reporters.github_limits import (
    SARIF_MAX_GZIP_BYTES,
    SARIF_MAX_RESULTS,
    SARIF_MAX_RULES,
    SARIF_MAX_TAGS_PER_RULE,
    Trim,
    most_important,
)
from gate.reporters.identity import target_id

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://github.com/gate-security/gate"
FINGERPRINT_KEY = "gateFingerprint/v1"
SRCROOT = "%SRCROOT%"
IMAGE_ROOT = "IMAGE"
IMAGE_METADATA = "IMAGE_METADATA"

_LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}


class SarifReporter:
    """``--sarif FILE``: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

    ``github_limits``: keep the log within GitHub's upload limits (results per run, rules per
    run, tags per rule, gzip size), dropping the least important results first and saying so
    in the run (:mod:`gate.reporters.github_limits`).
    """

    name = "sarif"
    default_filename = "gate.sarif"

    def __init__(self, *, indent: int | None = 2, github_limits: bool = True) -> None:
        self.indent = indent
        self.github_limits = github_limits

    def render(self, report: Report) -> str:
        return self.render_with_trim(report)[0]

    def render_with_trim(self, report: Report) -> tuple[str, Trim | None]:
        """The SARIF text, and how it was trimmed (None when every finding is in it)."""
        findings = report.decision.findings
        if not self.github_limits:
            return self._dump(sarif_log(report)), None
        total = len(findings)
        keep, limit = total, ""
        if total > SARIF_MAX_RESULTS:
            keep, limit = SARIF_MAX_RESULTS, f"{SARIF_MAX_RESULTS:,} results per run"
        while True:
            trim = Trim(keep, total, limit) if keep < total else None
            text = self._dump(sarif_log(report, most_important(findings, keep), trim))
            # gzip is never larger than its input by more than a few bytes: compress only
            # when the text alone could exceed the limit.
            if keep == 0 or len(text) <= SARIF_MAX_GZIP_BYTES:
                return text, trim
            size = len(gzip.compress(text.encode("utf-8"), compresslevel=6))
            if size <= SARIF_MAX_GZIP_BYTES:
                return text, trim
            keep = int(keep * SARIF_MAX_GZIP_BYTES / size * 0.9)
            limit = f"{SARIF_MAX_GZIP_BYTES / 1e6:g} MB of gzip-compressed SARIF"

    def _dump(self, log: om.SarifLog) -> str:
        doc = sarif_json(log)
        # Conventional order: "$schema" and "version" before the (long) runs.
        ordered = {key: doc[key] for key in ("$schema", "version", "runs") if key in doc}
        return json.dumps(ordered, indent=self.indent, ensure_ascii=False) + "\n"


def level(severity: Severity) -> str:
    """SARIF ``level`` (§3.27.10) of a severity."""
    return _LEVELS[severity]


def sarif_log(
    report: Report,
    findings: Sequence[EvaluatedFinding] | None = None,
    trim: Trim | None = None,
) -> om.SarifLog:
    """The log of ``report``, with only ``findings`` (default: all) as results; ``trim`` says
    in the run that the others were left out."""
    kept = report.decision.findings if findings is None else findings
    rules, index = _rules(report, kept)
    results = [_result(e, index, report) for e in kept]
    run = om.Run(
        tool=om.Tool(
            driver=om.ToolComponent(
                name="gate",
                version=report.tool_version,
                semantic_version=report.tool_version,
                information_uri=INFORMATION_URI,
                rules=rules,
            )
        ),
        automation_details=om.RunAutomationDetails(id=automation_id(report)),
        original_uri_base_ids=_base_ids(report),
        invocations=[_invocation(report, trim)],
        results=results,
        properties=_run_properties(report, trim),
    )
    return om.SarifLog(version=SARIF_VERSION, schema_uri=SARIF_SCHEMA_URI, runs=[run])


def sarif_json(value: Any) -> Any:
    """A sarif-om object tree as JSON-ready data with SARIF's camelCase property names.

    Unset values (None, attrs factory defaults, the ``-1`` "no index" sentinels) are left out.
    """
    cls: type[object] = type(value)
    if attr.has(cls):
        out: dict[str, Any] = {}
        for attribute, name, unset in _fields(cls):
            item = getattr(value, attribute)
            if item is None or (unset is not _NO_DEFAULT and item == unset):
                continue
            out[name] = sarif_json(item)
        return out
    if isinstance(value, Mapping):
        return {str(k): sarif_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [sarif_json(v) for v in value]
    return value


_NO_DEFAULT = object()


@functools.cache
def _fields(cls: type[object]) -> tuple[tuple[str, str, Any], ...]:
    """(attribute, SARIF property name, value meaning "unset") for each field of a class."""
    fields = []
    for field in attr.fields(cls):  # type: ignore[arg-type]  # attr.has() checked by the caller
        name = field.metadata["schema_property_name"]
        if cls is om.Suppression and name == "state":
            # sarif-om follows a pre-release draft; SARIF 2.1.0 §3.35 names it "status".
            name = "status"
        default = field.default
        unset: Any = _NO_DEFAULT
        if isinstance(default, attr.Factory):  # type: ignore[arg-type]
            unset = default.factory()
        elif isinstance(default, (int, float)) and not isinstance(default, bool) and default == -1:
            unset = default  # the schema's "no index" sentinel
        fields.append((field.name, name, unset))
    return tuple(fields)


# -- identity of the run ------------------------------------------------------------------


def automation_id(report: Report) -> str:
    """``gate/<target>/`` (§3.17.4 ``id``: category then an empty instance id).

    GitHub uses the category to tell analyses apart; it must stay the same between runs on the
    same image, so tags and digests are left out of a registry reference (:func:`target_id`).
    """
    return f"gate/{target_id(report)}/"


def _base_ids(report: Report) -> dict[str, om.ArtifactLocation]:
    image = report.image.reference if report.image else "the image"
    return {
        SRCROOT: om.ArtifactLocation(
            description=om.Message(text="The repository root (build context and Dockerfile paths).")
        ),
        IMAGE_ROOT: om.ArtifactLocation(
            description=om.Message(text=f"The root filesystem of {image}, all layers.")
        ),
        IMAGE_METADATA: om.ArtifactLocation(
            description=om.Message(
                text=f"The manifest, config (config/<field>) and history (history/<n>) of {image}."
            )
        ),
    }


def _run_properties(report: Report, trim: Trim | None) -> dict[str, Any]:
    props: dict[str, Any] = {
        "policy": report.policy_path,
        "mode": report.decision.mode,
        "verdict": report.decision.verdict.value,
        "checksRun": [c.value for c in report.decision.checks_run],
    }
    if trim is not None:
        props["trimmed"] = {"keptResults": trim.kept, "totalResults": trim.total,
                            "limit": trim.limit}
    if report.image is not None:
        props["image"] = {
            "reference": report.image.reference,
            "manifestDigest": report.image.manifest_digest,
            "configDigest": report.image.config_digest,
            "platform": report.image.platform,
        }
    if report.context_path is not None:
        props["context"] = report.context_path
    return props


# -- rules ---------------------------------------------------------------------------------


def _rules(
    report: Report, findings: Sequence[EvaluatedFinding]
) -> tuple[list[om.ReportingDescriptor], dict[str, int]]:
    known: dict[str, Rule] = {}
    for result in report.checks:
        for rule in result.rules:
            known.setdefault(rule.id, rule)
    if len(known) > SARIF_MAX_RULES:
        # GitHub refuses a run of more rules: keep the rules of the results, then the others.
        used = {e.finding.rule_id for e in findings}
        ordered = sorted(known.values(), key=lambda rule: rule.id not in used)
        known = {rule.id: rule for rule in ordered[:SARIF_MAX_RULES]}
    for evaluated in findings:
        finding = evaluated.finding
        if finding.rule_id not in known:
            # A finding of a rule its check did not list: still needs a descriptor (§3.27.6).
            known[finding.rule_id] = Rule(
                id=RuleID(finding.rule_id),
                check=finding.check,
                title=finding.rule_id,
                severity=finding.severity,
            )
    descriptors = [_descriptor(rule) for rule in known.values()]
    return descriptors, {rule_id: i for i, rule_id in enumerate(known)}


def _descriptor(rule: Rule) -> om.ReportingDescriptor:
    description = rule.description or rule.title
    help_text = rule.remediation or description
    tags = list(dict.fromkeys(["security", rule.check.value, *rule.tags]))[
        :SARIF_MAX_TAGS_PER_RULE
    ]
    return om.ReportingDescriptor(
        id=rule.id,
        name=_pascal(rule.id),
        short_description=om.MultiformatMessageString(text=rule.title),
        full_description=om.MultiformatMessageString(text=description),
        help=om.MultiformatMessageString(text=help_text, markdown=_help_markdown(rule)),
        help_uri=rule.help_uri,
        default_configuration=om.ReportingConfiguration(level=level(rule.severity)),
        properties={
            "security-severity": rule.severity.security_severity,
            "tags": tags,
            "severity": rule.severity.value,
            "check": rule.check.value,
        },
    )


def _pascal(rule_id: str) -> str:
    """§3.49.7: ``name`` is a non-localizable identifier, e.g. ``SecretAwsAccessKeyId``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", rule_id))


def _help_markdown(rule: Rule) -> str:
    parts = [f"**{rule.title}**"]
    if rule.description:
        parts.append(rule.description)
    if rule.remediation:
        parts.append(f"**Remediation.** {rule.remediation}")
    if rule.help_uri:
        parts.append(f"[More information]({rule.help_uri})")
    return "\n\n".join(parts)


# -- results -------------------------------------------------------------------------------


def _result(evaluated: EvaluatedFinding, index: Mapping[str, int], report: Report) -> om.Result:
    finding = evaluated.finding
    suppressions = None
    if evaluated.status is FindingStatus.SUPPRESSED and evaluated.exception is not None:
        exception = evaluated.exception
        suppressions = [
            om.Suppression(
                kind="external",
                state="accepted",
                justification=exception.reason,
                properties={
                    "policyException": f"ignore[{exception.index}]",
                    "expires": exception.expires,
                },
            )
        ]
    elif evaluated.status is FindingStatus.SUPPRESSED:
        # Suppressed by a VEX statement (OpenVEX not_affected): SARIF 2.1.0 section 3.35.
        suppressions = [
            om.Suppression(
                kind="external",
                state="accepted",
                justification=evaluated.reason,
                properties={"vexDocument": finding.properties.get("vex_document")},
            )
        ]
    return om.Result(
        rule_id=finding.rule_id,
        rule_index=index[finding.rule_id],
        level=level(finding.severity),
        kind="fail",
        message=om.Message(text=finding.message),
        locations=[_location(finding.location)],
        related_locations=_related(finding.location),
        partial_fingerprints={FINGERPRINT_KEY: finding.fingerprint},
        suppressions=suppressions,
        baseline_state=evaluated.baseline,
        properties=_result_properties(evaluated, _layer_count(report)),
    )


def _layer_count(report: Report) -> int | None:
    return len(report.image.layers) if report.image else None


def _result_properties(evaluated: EvaluatedFinding, layers: int | None) -> dict[str, Any]:
    finding = evaluated.finding
    location = finding.location
    props: dict[str, Any] = {
        k: list(v) if isinstance(v, tuple) else v for k, v in finding.properties.items()
    }
    props.update(
        check=finding.check.value,
        severity=finding.severity.value,
        status=evaluated.status.value,
        statusReason=evaluated.reason,
        locationKind=location.kind.value,
    )
    if finding.evidence is not None:
        props["evidence"] = finding.evidence
    if location.kind is not LocationKind.CONTEXT and location.kind is not LocationKind.DOCKERFILE:
        props["imagePath"] = location.path
    if location.layer is not None:
        _layer_properties(props, "", location.layer)
    if location.removed_in is not None:
        _layer_properties(props, "removed_in_", location.removed_in)
    if layers is not None and location.layer is not None:
        props["layer_count"] = layers
    if finding.package is not None:
        props["package"] = {
            "name": finding.package.name,
            "version": finding.package.version,
            "ecosystem": finding.package.ecosystem,
            **({"purl": finding.package.purl} if finding.package.purl else {}),
        }
    if finding.vulnerability_id:
        props["vulnerabilityId"] = finding.vulnerability_id
    if finding.aliases:
        props["aliases"] = list(finding.aliases)
    if finding.cvss_score is not None:
        props["cvssScore"] = finding.cvss_score
    if finding.fixed_versions:
        props["fixedVersions"] = list(finding.fixed_versions)
    return props


def _layer_properties(props: dict[str, Any], prefix: str, layer: LayerRef) -> None:
    props[f"{prefix}layer_index"] = layer.index
    props[f"{prefix}layer_digest"] = layer.digest
    if not prefix:
        props["created_by"] = layer.created_by


def _location(location: Location) -> om.Location:
    if location.kind in (LocationKind.CONTEXT, LocationKind.DOCKERFILE, LocationKind.POLICY):
        return om.Location(physical_location=_physical(location.path, SRCROOT, location))
    if location.attributed_to is not None:
        # The Dockerfile line that made the layer is where a developer can act (the fix goes
        # there); the in-image path stays visible as a logical location.
        attributed = location.attributed_to
        return om.Location(
            physical_location=_physical(attributed.path, SRCROOT, attributed),
            logical_locations=[_logical(location)],
        )
    if location.kind is LocationKind.IMAGE_FILE:
        return om.Location(
            physical_location=_physical(location.path.lstrip("/"), IMAGE_ROOT, location),
            logical_locations=[_logical(location)],
        )
    return om.Location(
        physical_location=_physical(_metadata_uri(location), IMAGE_METADATA, None),
        logical_locations=[_logical(location)],
    )


def _related(location: Location) -> list[om.Location] | None:
    """§3.27.22: an image finding shown at its Dockerfile line keeps the in-image evidence as a
    related location (the file in ``IMAGE``, or the config field in ``IMAGE_METADATA``)."""
    if location.attributed_to is None:
        return None
    if location.kind is LocationKind.IMAGE_FILE:
        physical = _physical(location.path.lstrip("/"), IMAGE_ROOT, location)
    else:
        physical = _physical(_metadata_uri(location), IMAGE_METADATA, None)
    return [
        om.Location(
            id=0,
            physical_location=physical,
            logical_locations=[_logical(location)],
            message=om.Message(text=f"in the image: {location.path}"),
        )
    ]


def _physical(path: str, base: str, lines: Location | None) -> om.PhysicalLocation:
    region = None
    if lines is not None and lines.start_line is not None and lines.start_line >= 1:
        end = lines.end_line if lines.end_line and lines.end_line >= lines.start_line else None
        region = om.Region(start_line=lines.start_line, end_line=end)
    if path.startswith("/"):
        uri, base_id = "file://" + quote(path), None
    else:
        uri, base_id = _uri(path), base
    return om.PhysicalLocation(
        artifact_location=om.ArtifactLocation(uri=uri, uri_base_id=base_id), region=region
    )


def _uri(path: str) -> str:
    """A relative URI reference (RFC 3986 §4.2) for a POSIX path: segments percent-encoded."""
    clean = str(PurePosixPath(path)) if path else "."
    return quote(clean, safe="/")


def _metadata_uri(location: Location) -> str:
    if location.kind is LocationKind.IMAGE_CONFIG:
        return "config/" + _uri(location.path)
    if location.kind is LocationKind.IMAGE_HISTORY:
        match = re.fullmatch(r"history\[(\d+)\]", location.path)
        return f"history/{match.group(1)}" if match else "history/" + _uri(location.path)
    return "manifest"


def _logical(location: Location) -> om.LogicalLocation:
    kinds = {
        LocationKind.IMAGE_FILE: "resource",
        LocationKind.IMAGE_CONFIG: "property",
        LocationKind.IMAGE_HISTORY: "element",
        LocationKind.IMAGE: "object",
    }
    name = PurePosixPath(location.path).name or location.path
    return om.LogicalLocation(
        name=name,
        fully_qualified_name=location.path,
        kind=kinds.get(location.kind, "resource"),
    )


# -- invocation ------------------------------------------------------------------------------


def _invocation(report: Report, trim: Trim | None) -> om.Invocation:
    decision = report.decision
    notes: list[om.Notification] = []
    if trim is not None:
        notes.append(
            om.Notification(
                level="warning",
                message=om.Message(text=trim.sentence("results")),
                descriptor=om.ReportingDescriptorReference(id="results-trimmed"),
                properties={"kept": trim.kept, "total": trim.total},
            )
        )
    for result in report.checks:
        for note in result.notes:
            notes.append(
                om.Notification(
                    level="note",
                    message=om.Message(text=f"{result.check.value}: {note.detail} ({note.count})"),
                    descriptor=om.ReportingDescriptorReference(id=note.kind),
                    properties={"check": result.check.value, "count": note.count},
                )
            )
    configuration = [
        om.Notification(
            level="warning",
            message=om.Message(
                text=f"policy exception ignore[{x.index}] expired on {x.expires} and no longer "
                f"applies: {x.reason}"
            ),
            descriptor=om.ReportingDescriptorReference(id="expired-exception"),
        )
        for x in decision.expired_exceptions
    ] + [
        om.Notification(
            level="note",
            message=om.Message(
                text=f"policy exception ignore[{x.index}] matched no finding: {x.reason}"
            ),
            descriptor=om.ReportingDescriptorReference(id="unused-exception"),
        )
        for x in decision.unused_exceptions
    ]
    return om.Invocation(
        execution_successful=decision.verdict is not Verdict.ERROR,
        exit_code=decision.verdict.exit_code,
        tool_execution_notifications=notes or None,
        tool_configuration_notifications=configuration or None,
        properties={
            "verdict": decision.verdict.value,
            "violations": _violations(decision.violations),
        },
    )


def _violations(violations: Iterable[Any]) -> Sequence[str]:
    return [v.message for v in violations]


__all__ = ["FINGERPRINT_KEY", "SarifReporter", "automation_id", "level", "sarif_json", "sarif_log"]
