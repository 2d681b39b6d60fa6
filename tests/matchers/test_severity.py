"""Severity from CVSS vectors (computed), else the database's rating."""

from __future__ import annotations

import json
from pathlib import Path

from gate.matchers.osv import ScoreEntry, parse_advisory
from gate.matchers.severity import rate
from gate.models import Severity

from .helpers import GRYPE_OSV, PYPA


def test_cvss_v3_vector_from_a_real_record(shared_data: Path) -> None:
    doc = json.loads((PYPA / "urllib3" / "PYSEC-2023-192.json").read_text())
    advisory = parse_advisory(doc, "urllib3")
    rated = rate(advisory.severity)
    assert rated.score == 8.1 and rated.severity is Severity.HIGH
    assert rated.source == "cvss_v3" and rated.vector is not None


def test_cvss_v4_wins_over_v3() -> None:
    v3 = ScoreEntry("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    v4 = ScoreEntry("CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N")
    rated = rate([v3, v4])
    assert rated.source == "cvss_v4" and rated.score == 5.1 and rated.severity is Severity.MEDIUM
    assert rate([v3]).score == 9.8 and rate([v3]).severity is Severity.CRITICAL


def test_database_ratings(shared_data: Path) -> None:
    bitnami = parse_advisory(
        json.loads((GRYPE_OSV / "BIT-apache-2020-11984.json").read_text()), "bit"
    )
    assert bitnami.rating == "Critical"
    assert rate(bitnami.severity, [bitnami.rating]).severity is Severity.CRITICAL
    assert rate([], ["MODERATE"]).severity is Severity.MEDIUM  # GHSA's word for medium
    assert rate([ScoreEntry("Ubuntu", "negligible")]).severity is Severity.INFO


def test_cvss_v2_only_and_unknown() -> None:
    rated = rate([ScoreEntry("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P")])
    assert rated.source == "cvss_v2" and rated.score == 7.5 and rated.severity is Severity.HIGH
    unknown = rate([ScoreEntry("CVSS_V3", "CVSS:3.1/garbage")])
    assert unknown.source == "unknown" and unknown.severity is Severity.MEDIUM
