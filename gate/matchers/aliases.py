"""Hits -> findings: one finding per installed package and vulnerability, however many records
and sources name it.

OSV ``aliases`` are symmetric and transitive (OSV schema, "aliases field"): PYSEC-2019-217,
GHSA-462w-v97r-4m45 and CVE-2019-10906 are one vulnerability. Hits about the same installed
package are grouped by the connected components of their ids (union-find), so the same
vulnerability from two databases -- or from gate's matching and a Trivy result -- is one finding
listing every id. ``upstream`` ids are *not* aliases (a distro record may bundle several
upstream CVEs: a DSA) and do not merge findings -- except the single upstream id of a record
about exactly one upstream vulnerability (``DEBIAN-CVE-2024-1``, ``ALPINE-CVE-2024-1``): that
record *is* the distro's view of that CVE for this package, so it merges with the CVE that
another source (Trivy, Grype, a CVE-keyed record) reports on the same package.

The finding's id prefers the CVE (what most policies and people name), then GHSA, then the
others in sorted order; its severity and CVSS score are the worst of the group; fixed versions
are the union.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gate.matchers.hits import Hit, package_key
from gate.models import (
    Check,
    Finding,
    Fingerprint,
    Location,
    LocationKind,
    PropertyValue,
    Rule,
    RuleID,
    Severity,
)


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _id_rank(ident: str) -> tuple[int, str]:
    upper = ident.upper()
    if upper.startswith("CVE-"):
        return (0, upper)
    if upper.startswith("GHSA-"):
        return (1, upper)
    return (2, upper)


def _merge_ids(hit: Hit) -> tuple[str, ...]:
    if len(hit.upstream) == 1 and hit.upstream[0] not in hit.ids:
        return (*hit.ids, hit.upstream[0])
    return hit.ids


def primary_id(ids: Iterable[str]) -> str:
    return min(ids, key=_id_rank)


@dataclass(frozen=True)
class Merged:
    """One finding's worth of hits."""

    primary: str
    aliases: tuple[str, ...]
    hits: tuple[Hit, ...]


def merge_hits(hits: Sequence[Hit]) -> list[Merged]:
    by_package: dict[tuple[str, str, str, str], list[Hit]] = {}
    for hit in hits:
        by_package.setdefault(package_key(hit.package, hit.found_in), []).append(hit)
    merged: list[Merged] = []
    for group in by_package.values():
        uf = _UnionFind()
        for hit in group:
            ids = [i.upper() for i in _merge_ids(hit)]
            for other in ids[1:]:
                uf.union(ids[0], other)
            uf.find(ids[0])
        components: dict[str, list[Hit]] = {}
        for hit in group:
            components.setdefault(uf.find(hit.ids[0].upper()), []).append(hit)
        for members in components.values():
            spelled: dict[str, str] = {}
            for hit in members:
                for ident in _merge_ids(hit):
                    spelled.setdefault(ident.upper(), ident)
            primary = primary_id(spelled.values())
            aliases = tuple(sorted((i for i in spelled.values() if i != primary), key=_id_rank))
            merged.append(Merged(primary, aliases, tuple(members)))
    merged.sort(key=lambda m: (m.hits[0].package.name, m.hits[0].found_in, _id_rank(m.primary)))
    return merged


def vulnerability_fingerprint(primary: str, hit: Hit) -> Fingerprint:
    """Stable across runs and package upgrades that stay vulnerable (no version in it)."""
    base, name, _version, found_in = package_key(hit.package, hit.found_in)
    text = f"vuln\0{primary.upper()}\0{base}\0{name}\0{found_in}"
    return Fingerprint(hashlib.sha256(text.encode()).hexdigest()[:40])


def to_finding(group: Merged, layers_total: int | None = None) -> Finding:
    hits = group.hits
    first = hits[0]
    worst = max(hits, key=lambda h: (h.severity.rank, h.cvss_score or 0.0))
    scores = [h.cvss_score for h in hits if h.cvss_score is not None]
    fixed = tuple(dict.fromkeys(f for h in hits for f in h.fixed))
    summary = next((h.summary for h in hits if h.summary), "")
    package = first.package
    fix_text = f"fixed in {', '.join(fixed)}" if fixed else "no fixed version"
    origin = ""
    if first.layer is not None:
        total = f"/{layers_total}" if layers_total else ""
        origin = f", installed in layer {first.layer.index + 1}{total}"
    via = ""
    if first.matched_name and (
        first.matched_name != package.name or first.matched_version != package.version
    ):
        via = f" (source package {first.matched_name} {first.matched_version})"
    message = (
        f"{group.primary} in {package.name} {package.version}{via} ({package.ecosystem}): "
        f"{summary or 'no summary'}; {fix_text}{origin}"
    )
    kind = LocationKind.IMAGE_FILE if first.found_in.startswith("/") else LocationKind.IMAGE
    properties: dict[str, PropertyValue] = {
        "severity_source": worst.severity_source,
        "cvss_vector": worst.cvss_vector,
        "sources": tuple(dict.fromkeys(h.source for h in hits)),
        "advisories": tuple(dict.fromkeys(h.ids[0] for h in hits)),
        "upstream": tuple(dict.fromkeys(u for h in hits for u in h.upstream)),
        "matched_by": first.matched_by,
        "matched_name": first.matched_name or package.name,
        "matched_version": first.matched_version or package.version,
        "last_affected": tuple(dict.fromkeys(v for h in hits for v in h.last_affected)),
        "advisory_url": next((h.url for h in hits if h.url), None),
        "summary": summary,
    }
    if first.layer is not None:
        properties.update(
            layer_index=first.layer.index,
            layer_digest=first.layer.digest,
            created_by=first.layer.created_by,
        )
    return Finding(
        check=Check.VULNERABILITIES,
        rule_id=RuleID(group.primary),
        severity=worst.severity,
        message=message,
        location=Location(kind=kind, path=first.found_in, layer=first.layer),
        fingerprint=vulnerability_fingerprint(group.primary, first),
        # What the console's evidence column shows: the package and the version to move to.
        evidence=f"{package.name}@{package.version}" + (f" -> {fixed[0]}" if fixed else ""),
        package=package,
        vulnerability_id=group.primary,
        aliases=group.aliases,
        cvss_score=max(scores) if scores else None,
        fixed_versions=fixed,
        properties=properties,
    )


def rules_for(findings: Sequence[Finding]) -> tuple[Rule, ...]:
    """One rule per vulnerability (SARIF ``reportingDescriptor``), at its worst severity."""
    rules: dict[str, Rule] = {}
    for finding in findings:
        ident = str(finding.rule_id)
        previous = rules.get(ident)
        severity = finding.severity
        if previous is not None and previous.severity.rank >= severity.rank:
            continue
        url = finding.properties.get("advisory_url")
        summary = finding.properties.get("summary") or "no summary"
        rules[ident] = Rule(
            id=finding.rule_id,
            check=Check.VULNERABILITIES,
            title=f"{ident}: {summary}"[:200],
            severity=severity,
            description=f"{ident} (also {', '.join(finding.aliases)})"
            if finding.aliases
            else ident,
            remediation="Upgrade the package to a fixed version"
            + (f" ({', '.join(finding.fixed_versions)})" if finding.fixed_versions else "")
            + ", or rebuild on a base image that has it.",
            tags=("vulnerability", "security"),
            help_uri=url if isinstance(url, str) else None,
        )
    return tuple(sorted(rules.values(), key=lambda r: (-r.severity.rank, r.id)))


__all__ = [
    "Merged",
    "Severity",
    "merge_hits",
    "primary_id",
    "rules_for",
    "to_finding",
    "vulnerability_fingerprint",
]
