"""Severity of an advisory: computed from its CVSS vector, else the database's own rating.

Order (the first that gives an answer wins):

1. CVSS v4.0 then v3.x base score, computed from the vector with the ``cvss`` library (FIRST
   CVSS v4.0 / v3.1 specifications); the qualitative rating follows CVSS v3.1 section 5.
   The newest CVSS version present is used: v4 replaces v3 where a database gives both.
2. The database's rating: GHSA ``database_specific.severity`` (``CRITICAL``, ``HIGH``,
   ``MODERATE``, ``LOW``), Ubuntu priorities (``severity[].type = "Ubuntu"``), distro urgency,
   Bitnami/Root ratings.
3. CVSS v2 base score (older NVD data only has v2).
4. Unknown: counted as **medium** and marked ``severity_source = "unknown"`` in the finding, so
   a policy can see it; never dropped.

Package-level ``affected[].severity`` takes precedence over the record's (OSV schema:
"applies to a specific package").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gate.matchers.osv import ScoreEntry
from gate.models import Severity

_WORDS = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "important": Severity.HIGH,
    "moderate": Severity.MEDIUM,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
    "negligible": Severity.INFO,
    "unimportant": Severity.INFO,
    "not yet assigned": Severity.MEDIUM,
}


@dataclass(frozen=True)
class Rated:
    severity: Severity
    score: float | None
    """CVSS base score, when computed from a vector."""
    source: str
    """``cvss_v4``, ``cvss_v3``, ``cvss_v2``, ``database`` or ``unknown``."""
    vector: str | None = None


def _cvss_score(entry: ScoreEntry) -> float | None:
    import cvss  # type: ignore[import-untyped]

    try:
        if entry.type == "CVSS_V4":
            return float(cvss.CVSS4(entry.score).base_score)
        if entry.type == "CVSS_V3":
            return float(cvss.CVSS3(entry.score).scores()[0])
        if entry.type == "CVSS_V2":
            return float(cvss.CVSS2(entry.score).scores()[0])
    except (cvss.CVSSError, ValueError, KeyError, IndexError, TypeError):
        return None
    return None


def _by_vector(entries: Sequence[ScoreEntry], kind: str) -> Rated | None:
    best: Rated | None = None
    for entry in entries:
        if entry.type != kind:
            continue
        score = _cvss_score(entry)
        if score is None:
            continue
        rated = Rated(Severity.from_cvss(score), score, kind.lower(), entry.score)
        if best is None or score > (best.score or 0.0):
            best = rated
    return best


def _word(text: str | None) -> Severity | None:
    if not text:
        return None
    return _WORDS.get(text.strip().lower())


def rate(entries: Sequence[ScoreEntry], ratings: Sequence[str | None] = ()) -> Rated:
    """The severity of one advisory for one package: ``entries`` package-level first."""
    for kind in ("CVSS_V4", "CVSS_V3"):
        found = _by_vector(entries, kind)
        if found is not None:
            return found
    for entry in entries:
        if entry.type == "Ubuntu":
            word = _word(entry.score)
            if word is not None:
                return Rated(word, None, "database")
    for text in ratings:
        word = _word(text)
        if word is not None:
            return Rated(word, None, "database")
    found = _by_vector(entries, "CVSS_V2")
    if found is not None:
        return found
    return Rated(Severity.MEDIUM, None, "unknown")


__all__ = ["Rated", "rate"]
