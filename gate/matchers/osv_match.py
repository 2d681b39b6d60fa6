"""Is a version affected? The OSV schema's ``IsVulnerable`` pseudocode (section "Evaluation").

* A version is affected if it is listed in ``versions`` **or** lies in any range.
* A range: events sorted by version (``introduced: "0"`` sorts before everything); walking
  them, ``introduced`` <= v sets affected, ``fixed`` <= v clears it, ``last_affected`` < v
  clears it. ``limit`` events bound the range: v must be below one of them (``*`` is infinity;
  no limit means an implicit ``*``).
* ``SEMVER`` ranges order by SemVer 2.0.0 (for Go with its ``v`` prefix); ``ECOSYSTEM`` ranges
  by the ecosystem's own scheme (:mod:`gate.matchers.versions`).
* ``GIT`` ranges need the commit a package was built from; installed packages do not carry
  one, so GIT ranges are skipped and the ``versions`` list (which the schema requires next to
  GIT ranges) decides.
* When a version or an event cannot be ordered, that range cannot decide: the result says so
  (``unorderable``) and the matcher reports it in a note instead of guessing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gate.matchers.osv import Affected, Event, Range
from gate.matchers.versions import UnorderableVersion, Version, VersionScheme, parse


@dataclass(frozen=True)
class RangeOutcome:
    affected: bool
    fixed: tuple[str, ...] = ()
    """The ``fixed`` versions that end the affected interval the version is in."""
    last_affected: tuple[str, ...] = ()
    unorderable: str | None = None
    """Why this range could not be evaluated (a version the scheme cannot parse)."""


@dataclass(frozen=True)
class MatchOutcome:
    affected: bool
    fixed: tuple[str, ...] = ()
    last_affected: tuple[str, ...] = ()
    unorderable: tuple[str, ...] = ()
    matched_by: str = ""
    """``versions`` or the range type that matched (for the report)."""


_KIND_RANK = {"introduced": 0, "fixed": 1, "last_affected": 1, "limit": 2}


def _range_scheme(rng: Range, ecosystem_scheme: VersionScheme | None) -> VersionScheme | None:
    if rng.type == "SEMVER":
        # Go's SEMVER ranges are written without the "v" its versions carry.
        return VersionScheme.GO if ecosystem_scheme is VersionScheme.GO else VersionScheme.SEMVER
    if rng.type == "ECOSYSTEM":
        return ecosystem_scheme
    return None


def evaluate_range(rng: Range, version: str, scheme: VersionScheme | None) -> RangeOutcome:
    if rng.type == "GIT":
        return RangeOutcome(False)
    range_scheme = _range_scheme(rng, scheme)
    if range_scheme is None:
        return RangeOutcome(False, unorderable=f"no version ordering for {rng.type} range")
    try:
        v = parse(range_scheme, version)
        limits = [e for e in rng.events if e.kind == "limit"]
        if limits and not any(
            "*" in e.version or v < parse(range_scheme, e.version) for e in limits
        ):
            return RangeOutcome(False)
        keyed = [(_event_key(e, range_scheme), e) for e in rng.events if e.kind != "limit"]
    except UnorderableVersion as exc:
        return RangeOutcome(False, unorderable=str(exc))
    keyed.sort(key=_SortKey)
    affected = False
    for parsed, event in keyed:
        if event.kind == "introduced":
            if parsed is None or v >= parsed:
                affected = True
        elif event.kind == "fixed":
            if parsed is not None and v >= parsed:
                affected = False
        elif event.kind == "last_affected" and parsed is not None and v > parsed:
            affected = False
    if not affected:
        return RangeOutcome(False)
    # The first fix (or last affected version) above v closes the interval v is in.
    fixed = next(
        (e.version for p, e in keyed if e.kind == "fixed" and p is not None and v < p), None
    )
    last = next(
        (e.version for p, e in keyed if e.kind == "last_affected" and p is not None and v <= p),
        None,
    )
    return RangeOutcome(
        True, fixed=(fixed,) if fixed else (), last_affected=(last,) if last else ()
    )


def _event_key(event: Event, scheme: VersionScheme) -> Version | None:
    """None stands for ``introduced: "0"``: before any version of any scheme."""
    if event.kind == "introduced" and event.version == "0":
        return None
    return parse(scheme, event.version)


class _SortKey:
    """Sort (parsed, event) pairs by version; "0" first; at equal versions ``introduced``
    first, so ``introduced X, fixed X`` is an empty interval whatever the input order."""

    __slots__ = ("kind", "version")

    def __init__(self, pair: tuple[Version | None, Event]) -> None:
        self.version, self.kind = pair[0], _KIND_RANK[pair[1].kind]

    def __lt__(self, other: _SortKey) -> bool:
        if self.version is None or other.version is None:
            if self.version is None and other.version is None:
                return self.kind < other.kind
            return self.version is None
        if self.version < other.version:
            return True
        if other.version < self.version:
            return False
        return self.kind < other.kind


def _listed(versions: Iterable[str], version: str, scheme: VersionScheme | None) -> bool:
    listed = tuple(versions)
    if version in listed:
        return True
    if scheme is None:
        return False
    # The same version spelled differently (PEP 440 "1.0" == "1.0.0"; dpkg "0:1.0" == "1.0").
    try:
        v = parse(scheme, version)
    except UnorderableVersion:
        return False
    for item in listed:
        try:
            if parse(scheme, item) == v:
                return True
        except UnorderableVersion:
            continue
    return False


def evaluate_affected(
    affected: Affected, version: str, scheme: VersionScheme | None
) -> MatchOutcome:
    """``IsVulnerable`` for one ``affected[]`` entry whose package is the installed one."""
    if _listed(affected.versions, version, scheme):
        from_ranges: list[str] = []
        # A listed version is affected; a range may still say which release fixes it.
        for rng in affected.ranges:
            outcome = evaluate_range(rng, version, scheme)
            from_ranges.extend(outcome.fixed)
        return MatchOutcome(True, fixed=tuple(dict.fromkeys(from_ranges)), matched_by="versions")
    fixed: list[str] = []
    last: list[str] = []
    problems: list[str] = []
    matched_by = ""
    hit = False
    for rng in affected.ranges:
        outcome = evaluate_range(rng, version, scheme)
        if outcome.unorderable:
            problems.append(outcome.unorderable)
        if outcome.affected:
            hit = True
            matched_by = matched_by or rng.type
            fixed.extend(outcome.fixed)
            last.extend(outcome.last_affected)
    return MatchOutcome(
        hit,
        fixed=tuple(dict.fromkeys(fixed)),
        last_affected=tuple(dict.fromkeys(last)),
        unorderable=tuple(dict.fromkeys(problems)) if not hit else (),
        matched_by=matched_by,
    )


__all__ = ["MatchOutcome", "RangeOutcome", "evaluate_affected", "evaluate_range"]
