"""The vulnerabilities check: the package inventory matched to OSV advisories, plus other
scanners' results and VEX statements, as findings.

Inputs (``ScanTarget.options``, resolved by the pipeline; nothing here reads CLI flags):

* ``inventory``: the :class:`~gate.models.Inventory` of the image or SBOM.
* ``database``: a :class:`~gate.matchers.database.DatabaseChoice` (``--vuln-db``,
  ``--osv-api``, or the ``gate db update`` cache). Needed whenever there is an inventory: no
  database is an :class:`~gate.errors.AdvisoryDatabaseError` (exit 2), never a pass.
* ``trivy_json`` / ``grype_json``: result files of those scanners (tuples of paths).
* ``vex``: OpenVEX documents (tuple of paths).

A run with neither an image nor an SBOM nor peer results (a build-context-only run) has
nothing to match: the check is not applicable and says so in a note.

Every finding is located at the package database file it was read from (``found_in``) in the
layer that added the package, so attribution can point at the Dockerfile line later.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from gate.analyzers.interface import ScanTarget
from gate.errors import GateError, NoAdvisoryDatabaseError
from gate.models import (
    Check,
    CheckResult,
    Finding,
    Fingerprint,
    Inventory,
    LayerRef,
    Location,
    LocationKind,
    PropertyValue,
    Rule,
    RuleID,
    ScanNote,
    Severity,
)

NOTE_OWN_MATCHING_SKIPPED = "own-matching-skipped"
NOTE_NOT_APPLICABLE = "not-applicable"
NOTE_DATABASE = "advisory-database"
NOTE_VEX = "vex-not-affected"


class VulnerabilitiesAnalyzer:
    """The vulnerabilities check (``Check.VULNERABILITIES``)."""

    check = Check.VULNERABILITIES

    def run(self, target: ScanTarget) -> CheckResult:
        options = target.options
        inventory: Inventory | None = options.get("inventory")
        peer_hits = _peer_hits(options)
        if inventory is None and not peer_hits:
            if target.image is not None:
                raise GateError(
                    "the vulnerabilities check needs the package inventory of the image, and "
                    "none was produced for it",
                    hint="scan an SBOM (--sbom), give --trivy-json/--grype-json results, or "
                    "leave the check out with --checks",
                )
            return CheckResult(
                check=Check.VULNERABILITIES,
                findings=(),
                rules=(),
                notes=(
                    ScanNote(
                        NOTE_NOT_APPLICABLE,
                        1,
                        "no image, SBOM or scanner results to match: the vulnerabilities "
                        "check does not apply to a build context alone",
                    ),
                ),
                metadata={"applicable": False},
            )

        from gate.matchers.aliases import merge_hits, rules_for, to_finding

        hits = list(peer_hits)
        notes: list[ScanNote] = []
        metadata: dict[str, PropertyValue] = {"applicable": True}
        stats: Counter[str] = Counter()
        stale: list[Finding] = []
        today: dt.date = options.get("today") or dt.date.today()
        if inventory is not None:
            try:
                own, own_notes, own_meta, own_stats, stale = _match_inventory(
                    inventory, options, today
                )
            except NoAdvisoryDatabaseError:
                if not peer_hits:
                    raise
                # A team that runs Trivy or Grype and has no gate database yet: their results
                # are the findings, and the report says gate matched nothing itself.
                notes.append(ScanNote(
                    NOTE_OWN_MATCHING_SKIPPED, len(inventory.packages),
                    "no advisory database: the image's packages were not matched by gate; "
                    "the findings are the ingested scanner results only",
                ))
            else:
                hits = own + hits
                notes += own_notes
                metadata.update(own_meta)
                stats.update(own_stats)
            notes += list(inventory.notes)
        layers = _image_layers(target)
        hits = [_resolve_layer(h, layers) for h in hits]
        total = len(target.image.layers) if target.image is not None else None
        findings = [to_finding(group, total) for group in merge_hits(hits)]
        vex_paths: Sequence[Path] = options.get("vex") or ()
        if vex_paths:
            findings, suppressed = _apply_vex(findings, vex_paths, target)
            stats["vex_not_affected"] = suppressed
            if suppressed:
                notes.append(
                    ScanNote(
                        NOTE_VEX,
                        suppressed,
                        "findings a VEX statement declares not_affected (shown as suppressed)",
                    )
                )
        if peer_hits:
            metadata["peer_results"] = tuple(
                str(p) for key in ("trivy_json", "grype_json") for p in options.get(key) or ()
            )
            stats["peer_hits"] = len(peer_hits)
        rules = rules_for(findings)
        stats["findings"] = len(findings)
        stats["vulnerable_packages"] = len(
            {(f.package.name, f.package.version, f.location.path) for f in findings if f.package}
        )
        if stale:
            findings = [*stale, *findings]
            rules = (STALE_DATABASE_RULE, *rules)
        return CheckResult(
            check=Check.VULNERABILITIES,
            findings=tuple(findings),
            rules=rules,
            notes=tuple(notes),
            stats=dict(stats),
            metadata=metadata,
        )


def _match_inventory(
    inventory: Inventory, options: Mapping[str, Any], today: dt.date
) -> tuple[list[Any], list[ScanNote], dict[str, PropertyValue], Counter[str], list[Finding]]:
    from gate.matchers.database import DatabaseChoice, describe, open_database
    from gate.matchers.matching import match_packages, notes_of
    from gate.policy.evaluate import ADVISORY_DB_UPDATED

    choice = options.get("database") or DatabaseChoice()
    source = open_database(choice)
    hits, match_stats = match_packages(inventory.packages, source)
    info = source.info
    updated = info.updated
    age = _age_days(updated, today)
    detail = describe(info, age)
    notes = [ScanNote(NOTE_DATABASE, info.records, detail), *notes_of(match_stats)]
    metadata: dict[str, PropertyValue] = {
        "advisory_db": info.source,
        "advisory_db_records": info.records,
        "advisory_db_skipped_documents": info.skipped,
        "advisory_db_newest_record": info.newest_modified,
        "advisory_db_downloaded_at": info.downloaded_at,
        "advisory_db_age_days": age,
        "advisory_db_ecosystems": info.ecosystems,
        "inventory_source": inventory.source,
    }
    if updated:
        metadata[ADVISORY_DB_UPDATED] = updated
    stale = _stale_database(info.source, updated, age, options)
    stats: Counter[str] = Counter(
        packages=match_stats.packages,
        packages_with_advisories=match_stats.packages_matched,
        advisories_considered=match_stats.advisories_considered,
    )
    return hits, notes, metadata, stats, stale


def _stale_database(
    source: str, updated: str | None, age: int | None, options: Mapping[str, Any]
) -> list[Finding]:
    """A policy finding for a database older than ``max_db_age_days`` (the evaluation's
    database-age violation is what blocks; this makes it visible as a result in every report,
    located at the policy that sets the limit)."""
    from gate.policy.evaluate import ADVISORY_DB_AGE_RULE

    limit = options.get("max_db_age_days") or 0
    if not isinstance(limit, int) or limit <= 0 or age is None or age <= limit:
        return []
    policy = str(options.get("policy_path") or "policy")
    return [
        Finding(
            check=Check.VULNERABILITIES,
            rule_id=RuleID(ADVISORY_DB_AGE_RULE),
            severity=Severity.HIGH,
            message=(
                f"advisory database is {age} days old (updated {updated}), the policy allows "
                f"{limit}: {source}; run `gate db update` or refresh the mirror"
            ),
            location=Location(kind=LocationKind.POLICY, path=policy),
            fingerprint=Fingerprint(hashlib.sha256(f"db-age\0{source}".encode()).hexdigest()[:40]),
            properties={"advisory_db": source, "age_days": age, "max_db_age_days": limit},
        )
    ]


STALE_DATABASE_RULE = Rule(
    id=RuleID("vuln/advisory-database-age"),
    check=Check.VULNERABILITIES,
    title="Advisory database older than the policy allows",
    severity=Severity.HIGH,
    description="A stale advisory database passes images with vulnerabilities published "
    "since; vulnerabilities.max_db_age_days sets the limit.",
    remediation="Run `gate db update` (or refresh the `--vuln-db` mirror) before the scan.",
    tags=("vulnerability", "policy"),
)


def _age_days(updated: str | None, today: dt.date) -> int | None:
    if not updated:
        return None
    try:
        day = dt.datetime.fromisoformat(updated.replace("Z", "+00:00")).date()
    except ValueError:
        return None
    return (today - day).days


def _peer_hits(options: Mapping[str, Any]) -> list[Any]:
    from gate.matchers.peer_results import read_grype, read_trivy

    hits: list[Any] = []
    for path in options.get("trivy_json") or ():
        hits.extend(read_trivy(Path(path)))
    for path in options.get("grype_json") or ():
        hits.extend(read_grype(Path(path)))
    return hits


def _image_layers(target: ScanTarget) -> dict[str, LayerRef]:
    if target.image is None:
        return {}
    refs: dict[str, LayerRef] = {}
    for layer in target.image.summary().layers:
        refs[layer.digest] = layer
        refs[layer.diff_id] = layer
    return refs


def _resolve_layer(hit: Any, layers: Mapping[str, LayerRef]) -> Any:
    """Peer results name layers by digest: use the scanned image's LayerRef (its position and
    ``created_by``) when the digest is one of its layers; else keep a position the report
    itself gave, and drop an unknown one (index -1) rather than show a wrong layer number."""
    layer = hit.layer
    if layer is None:
        return hit
    known = layers.get(layer.diff_id) or layers.get(layer.digest)
    if known is not None:
        return replace(hit, layer=known)
    return hit if layer.index >= 0 else replace(hit, layer=None)


def _apply_vex(
    findings: list[Finding], paths: Sequence[Path], target: ScanTarget
) -> tuple[list[Finding], int]:
    from gate.matchers.vex import apply_vex, load_vex

    statements = [s for path in paths for s in load_vex(Path(path))]
    image = target.image
    return apply_vex(
        findings,
        statements,
        image_digest=image.manifest_digest if image else None,
        image_ref=image.reference if image else None,
    )


__all__ = ["VulnerabilitiesAnalyzer"]
