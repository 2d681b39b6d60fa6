"""Inventory x advisories -> hits: every installed package against the records that name it.

For each package, the source is asked only for records of its ecosystem and names (the binary
name and, for distros, the source package: Debian, Ubuntu and Alpine advisories name source
packages, AlmaLinux ones binary packages). Each ``affected[]`` entry then has to agree on the
ecosystem (base and release, :func:`~gate.matchers.ecosystems.release_matches`) and the name,
and :func:`~gate.matchers.osv_match.evaluate_affected` decides on the version: the source
version when the entry names the source package, else the package's own version.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from gate.matchers.advisory_index import DatabaseInfo
from gate.matchers.ecosystems import Ecosystem, normalize_name, parse_ecosystem, release_matches
from gate.matchers.hits import Hit
from gate.matchers.osv import Advisory, Affected
from gate.matchers.osv_match import MatchOutcome, evaluate_affected
from gate.matchers.severity import rate
from gate.models import InstalledPackage, ScanNote


class AdvisorySource(Protocol):
    """Where candidate records come from (the SQLite index, or osv.dev's API)."""

    @property
    def info(self) -> DatabaseInfo:
        """What the reports say about it (read after matching: the API learns as it goes)."""
        ...

    def prepare(self, packages: Sequence[InstalledPackage]) -> None:
        """Called once with every package before :meth:`candidates` (batching sources)."""
        ...

    def candidates(self, base: str, names: Iterable[str]) -> list[Advisory]: ...


@dataclass
class MatchStats:
    packages: int = 0
    packages_matched: int = 0
    advisories_considered: int = 0
    notes: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def note(self, kind: str, example: str) -> None:
        self.notes[kind] += 1
        self.examples.setdefault(kind, example)


_NOTE_DETAIL = {
    "unorderable-version": "versions that could not be ordered in their ecosystem; only exact "
    "`versions` lists were checked for them",
    "release-unknown": "distro packages without a release in their ecosystem; only "
    "release-less advisories were checked for them",
    "unknown-ecosystem": "packages of an ecosystem gate has no version ordering for; only exact "
    "`versions` lists and SEMVER ranges were checked",
}


def match_packages(
    packages: Sequence[InstalledPackage], source: AdvisorySource
) -> tuple[list[Hit], MatchStats]:
    stats = MatchStats(packages=len(packages))
    source.prepare(packages)
    hits: list[Hit] = []
    for installed in packages:
        found = _match_one(installed, source, stats)
        if found:
            stats.packages_matched += 1
            hits.extend(found)
    return hits, stats


def notes_of(stats: MatchStats) -> list[ScanNote]:
    return [
        ScanNote(kind, count, f"{_NOTE_DETAIL[kind]} (e.g. {stats.examples[kind]})")
        for kind, count in sorted(stats.notes.items())
    ]


def _match_one(installed: InstalledPackage, source: AdvisorySource, stats: MatchStats) -> list[Hit]:
    package = installed.package
    eco = parse_ecosystem(package.ecosystem)
    label = f"{package.name} {package.version} ({package.ecosystem})"
    if eco.scheme is None:
        stats.note("unknown-ecosystem", label)
    if eco.is_distro and not eco.release:
        stats.note("release-unknown", label)
    names = [package.name]
    if package.source_name and eco.names_source_packages:
        names.append(package.source_name)
    hits: list[Hit] = []
    for advisory in source.candidates(eco.base, names):
        stats.advisories_considered += 1
        hit = _match_advisory(installed, eco, advisory, stats, label)
        if hit is not None:
            hits.append(hit)
    return hits


def _match_advisory(
    installed: InstalledPackage,
    eco: Ecosystem,
    advisory: Advisory,
    stats: MatchStats,
    label: str,
) -> Hit | None:
    package = installed.package
    own = normalize_name(eco.base, package.name)
    source = normalize_name(eco.base, package.source_name) if package.source_name else None
    outcomes: list[tuple[Affected, MatchOutcome, str, str]] = []
    for affected in advisory.affected:
        if not affected.name or not release_matches(parse_ecosystem(affected.ecosystem), eco):
            continue
        name = normalize_name(eco.base, affected.name)
        if source is not None and name == source and eco.names_source_packages:
            # Distro advisories version the source package: a binary rebuilt with the same
            # name (binNMU "+b1") still compares by its source version.
            matched, version = affected.name, package.source_version or package.version
        elif name == own:
            matched, version = package.name, package.version
        else:
            continue
        outcome = evaluate_affected(affected, version, eco.scheme)
        if outcome.unorderable:
            stats.note("unorderable-version", f"{label}: {outcome.unorderable[0]}")
        if outcome.affected:
            outcomes.append((affected, outcome, matched, version))
    if not outcomes:
        return None
    affected, outcome, name, version = outcomes[0]
    rated = rate(
        affected.severity or advisory.severity,
        [affected.rating, advisory.rating],
    )
    fixed = tuple(dict.fromkeys(f for _a, o, _n, _v in outcomes for f in o.fixed))
    last = tuple(dict.fromkeys(f for _a, o, _n, _v in outcomes for f in o.last_affected))
    return Hit(
        package=package,
        found_in=installed.found_in,
        layer=installed.layer,
        ids=(advisory.id, *(a for a in advisory.aliases if a != advisory.id)),
        severity=rated.severity,
        severity_source=rated.source,
        source="osv",
        cvss_score=rated.score,
        cvss_vector=rated.vector,
        fixed=fixed,
        upstream=advisory.upstream,
        summary=advisory.summary or _first_line(advisory.details),
        url=f"https://osv.dev/vulnerability/{advisory.id}",
        matched_by=outcome.matched_by,
        matched_name=name,
        matched_version=version,
        last_affected=last,
    )


def _first_line(text: str, limit: int = 160) -> str:
    line = " ".join(text.strip().split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


__all__ = ["AdvisorySource", "MatchStats", "match_packages", "notes_of"]
