"""OSV evaluation exactly as the schema's pseudocode and examples say, on the schema's own
examples and real records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gate.errors import AdvisoryDatabaseError
from gate.matchers.osv import Affected, parse_advisory
from gate.matchers.osv_match import evaluate_affected
from gate.matchers.versions import VersionScheme

from .helpers import GO, GRYPE_OSV, PYPA


def affected(ranges: list[dict[str, Any]], versions: list[str] | None = None) -> Affected:
    doc = {
        "id": "TEST-1",
        "modified": "2024-01-01T00:00:00Z",
        "affected": [
            {
                "package": {"ecosystem": "npm", "name": "x"},
                "ranges": ranges,
                "versions": versions or [],
            }
        ],
    }
    return parse_advisory(doc, "test").affected[0]


def hits(
    entry: Affected, version: str, scheme: VersionScheme | None = VersionScheme.SEMVER
) -> bool:
    return evaluate_affected(entry, version, scheme).affected


# The schema's examples (docs/schema.md, "Examples" of affected[].ranges).


def test_unfixed_every_version_is_affected() -> None:
    entry = affected([{"type": "SEMVER", "events": [{"introduced": "0"}]}])
    assert hits(entry, "0.0.1") and hits(entry, "99.0.0") and hits(entry, "1.0.0-alpha")


def test_fixed_everything_before_the_fix() -> None:
    entry = affected([{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.2"}]}])
    assert hits(entry, "1.0.1") and hits(entry, "1.0.2-rc.1")
    assert not hits(entry, "1.0.2") and not hits(entry, "2.0.0")
    assert evaluate_affected(entry, "1.0.0", VersionScheme.SEMVER).fixed == ("1.0.2",)


def test_multiple_ranges_in_one_event_list() -> None:
    events = [
        {"introduced": "1.0.0"},
        {"fixed": "1.0.2"},
        {"introduced": "3.0.0"},
        {"fixed": "3.2.5"},
    ]
    entry = affected([{"type": "SEMVER", "events": events}])
    assert [
        hits(entry, v)
        for v in ("0.9.0", "1.0.0", "1.0.1", "1.0.2", "2.5.0", "3.0.0", "3.2.4", "3.2.5")
    ] == [False, True, True, False, False, True, True, False]
    assert evaluate_affected(entry, "3.1.0", VersionScheme.SEMVER).fixed == ("3.2.5",)


def test_events_are_sorted_before_evaluation() -> None:
    events = [
        {"fixed": "3.2.5"},
        {"introduced": "3.0.0"},
        {"fixed": "1.0.2"},
        {"introduced": "1.0.0"},
    ]
    entry = affected([{"type": "SEMVER", "events": events}])
    assert hits(entry, "1.0.1") and not hits(entry, "2.0.0") and hits(entry, "3.1.0")


def test_last_affected_is_inclusive_fixed_exclusive() -> None:
    last = affected(
        [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"last_affected": "2.1.214"}]}]
    )
    fixed = affected([{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "2.1.214"}]}])
    assert hits(last, "2.1.214") and not hits(last, "2.1.215")
    assert not hits(fixed, "2.1.214") and hits(fixed, "2.1.213")


def test_limit_bounds_the_range_and_star_is_infinity() -> None:
    limited = affected(
        [{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"limit": "2.0.0"}]}]
    )
    assert hits(limited, "1.5.0") and not hits(limited, "2.0.0") and not hits(limited, "3.0.0")
    star = affected([{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"limit": "*"}]}])
    assert hits(star, "9.9.9")


def test_a_listed_version_is_affected_even_outside_every_range() -> None:
    entry = affected(
        [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.0"}]}],
        versions=["1.5.0"],
    )
    assert hits(entry, "1.5.0") and not hits(entry, "1.6.0")


def test_git_ranges_are_skipped_for_packages_without_commits(shared_data: Path) -> None:
    # planet: a GIT range and an ECOSYSTEM range; the GIT one cannot decide without a commit.
    doc = json.loads((PYPA / "planet" / "PYSEC-2023-71.json").read_text())
    entry = parse_advisory(doc, "planet").affected[0]
    assert [r.type for r in entry.ranges] == ["GIT", "ECOSYSTEM"]
    assert hits(entry, "2.0.0", VersionScheme.PEP440)
    assert not hits(entry, "2.0.1", VersionScheme.PEP440)
    git_only = affected(
        [
            {
                "type": "GIT",
                "repo": "https://example.invalid/r",
                "events": [{"introduced": "0"}, {"fixed": "d71415a8"}],
            }
        ]
    )
    outcome = evaluate_affected(git_only, "1.0.0", VersionScheme.SEMVER)
    assert not outcome.affected and outcome.unorderable == ()


def test_real_last_affected_record(shared_data: Path) -> None:
    doc = json.loads((PYPA / "py" / "PYSEC-2022-42969.json").read_text())
    entry = parse_advisory(doc, "py").affected[0]
    assert hits(entry, "1.11.0", VersionScheme.PEP440)
    assert not hits(entry, "1.11.1", VersionScheme.PEP440)


def test_go_semver_ranges_with_v_prefix_pseudo_versions_and_incompatible(
    shared_data: Path,
) -> None:
    doc = json.loads((GRYPE_OSV / "GO-2022-0969.json").read_text())
    advisory = parse_advisory(doc, "GO-2022-0969")
    stdlib, net = advisory.affected
    go = VersionScheme.GO
    assert hits(stdlib, "go1.18.5", go) and not hits(stdlib, "go1.18.6", go)
    assert hits(stdlib, "v1.19.0", go) and not hits(stdlib, "v1.19.1", go)
    assert hits(net, "v0.0.0-20220826154423-83b083e8dc8b", go)
    assert not hits(net, "v0.0.0-20220906165146-f3363e06e74c", go)
    assert not hits(net, "v0.1.0", go)
    docker = parse_advisory(json.loads((GRYPE_OSV / "GO-2026-4610.json").read_text()), "x")
    cli = docker.affected[0]
    assert hits(cli, "v29.1.5+incompatible", go) and not hits(cli, "v29.2.0+incompatible", go)


def test_pep440_pre_post_and_local_against_a_real_range(shared_data: Path) -> None:
    doc = json.loads((PYPA / "jinja2" / "PYSEC-2019-217.json").read_text())
    entry = parse_advisory(doc, "jinja2").affected[0]
    pep = VersionScheme.PEP440
    assert hits(entry, "2.10", pep) and hits(entry, "2.10.1rc1", pep)
    assert hits(entry, "2.10+ubuntu1", pep)  # a local build of an affected release
    assert not hits(entry, "2.10.1", pep) and not hits(entry, "2.10.1.post1", pep)


def test_unorderable_versions_are_reported_not_guessed() -> None:
    entry = affected([{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}])
    outcome = evaluate_affected(entry, "not-a-version", VersionScheme.PEP440)
    assert not outcome.affected and outcome.unorderable
    unknown = evaluate_affected(entry, "1.0", None)
    assert not unknown.affected and unknown.unorderable == (
        "no version ordering for ECOSYSTEM range",
    )


def test_distro_ordering_in_ecosystem_ranges(shared_data: Path) -> None:
    alma = parse_advisory(json.loads((GRYPE_OSV / "ALSA-2025-7467.json").read_text()), "alsa")
    skopeo = alma.affected[0]
    rpm = VersionScheme.RPM
    assert hits(skopeo, "2:1.18.0-2.el10", rpm)
    assert not hits(skopeo, "2:1.18.1-1.el10_0", rpm)
    assert not hits(skopeo, "3:0.1-1.el10", rpm)  # a higher epoch wins
    assert hits(skopeo, "1:9.0-1.el10", rpm)  # a lower epoch loses whatever follows


@pytest.mark.parametrize(
    "broken",
    [
        {"modified": "x"},
        {"id": 5},
        {"id": "X", "affected": {"package": {}}},
        {
            "id": "X",
            "affected": [
                {"ranges": [{"type": "SEMVER", "events": [{"introduced": "0", "fixed": "1"}]}]}
            ],
        },
        {"id": "X", "affected": [{"ranges": [{"events": [{"introduced": "0"}]}]}]},
        {"id": "X", "affected": [{"ranges": [{"type": "SEMVER", "events": []}]}]},
    ],
)
def test_broken_records_are_typed_errors_naming_the_record(broken: dict[str, Any]) -> None:
    with pytest.raises(AdvisoryDatabaseError, match="advisory"):
        parse_advisory(broken, "file.json")


def test_database_and_ecosystem_specific_are_opaque(shared_data: Path) -> None:
    # Go records carry "imports"/"custom_ranges" in ecosystem_specific; anything goes there.
    doc = json.loads((GO / "GO-2020-0001.json").read_text())
    doc["affected"][0]["ecosystem_specific"] = {"weird": [1, {"deep": None}], "severity": 7}
    doc["database_specific"] = ["not", "an", "object"]
    advisory = parse_advisory(doc, "go")
    assert advisory.rating is None
    assert hits(advisory.affected[0], "v1.5.0", VersionScheme.GO)
