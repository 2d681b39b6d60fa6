"""OSV records (https://ossf.github.io/osv-schema/), read into frozen dataclasses.

Only the fields matching and reporting use are kept: ``id``, ``modified``, ``withdrawn``,
``aliases``, ``upstream``, ``summary``, ``severity``, ``affected[]`` (``package``,
``ranges[]``, ``versions``, ``severity``) and the ratings some databases put in
``database_specific``/``ecosystem_specific``. Anything else in ``database_specific`` and
``ecosystem_specific`` is opaque by the schema's own definition ("values in this field have no
effect on the evaluation algorithm") and is ignored, whatever its shape.

A record whose structure is broken (no ``id``, an event with two keys, a range without a type)
raises :class:`~gate.errors.AdvisoryDatabaseError` naming the record and where it came from.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gate.errors import AdvisoryDatabaseError
from gate.sources.json_file import parse_json

EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")
RANGE_TYPES = ("ECOSYSTEM", "SEMVER", "GIT")


@dataclass(frozen=True)
class Event:
    kind: str
    """``introduced``, ``fixed``, ``last_affected`` or ``limit``."""
    version: str


@dataclass(frozen=True)
class Range:
    type: str
    """``ECOSYSTEM``, ``SEMVER`` or ``GIT`` (other types are kept and never match)."""
    events: tuple[Event, ...]
    repo: str | None = None


@dataclass(frozen=True)
class ScoreEntry:
    """One ``severity[]`` item: ``CVSS_V2``/``CVSS_V3``/``CVSS_V4`` vector or ``Ubuntu`` rating."""

    type: str
    score: str


@dataclass(frozen=True)
class Affected:
    ecosystem: str
    name: str
    purl: str | None
    ranges: tuple[Range, ...]
    versions: tuple[str, ...]
    severity: tuple[ScoreEntry, ...] = ()
    rating: str | None = None
    """A database's own rating for this package (``database_specific.severity``, urgency)."""


@dataclass(frozen=True)
class Advisory:
    id: str
    modified: str
    affected: tuple[Affected, ...]
    aliases: tuple[str, ...] = ()
    upstream: tuple[str, ...] = ()
    summary: str = ""
    details: str = ""
    published: str | None = None
    withdrawn: str | None = None
    severity: tuple[ScoreEntry, ...] = ()
    rating: str | None = None
    """The database's own rating (GHSA ``database_specific.severity``, Bitnami, Root ...)."""
    references: tuple[str, ...] = ()


def _fail(where: str, message: str) -> AdvisoryDatabaseError:
    return AdvisoryDatabaseError(f"advisory {where}: {message}")


def _str(value: Any, where: str, field: str, *, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise _fail(where, f"missing {field}")
        return None
    if not isinstance(value, str):
        raise _fail(where, f"{field} must be a string")
    return value


def _strings(value: Any, where: str, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(where, f"{field} must be a list of strings")
    return tuple(value)


def _scores(value: Any, where: str, field: str) -> tuple[ScoreEntry, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _fail(where, f"{field} must be a list")
    out = []
    for item in value:
        if not isinstance(item, Mapping):
            raise _fail(where, f"{field} items must be objects")
        kind, score = item.get("type"), item.get("score")
        if isinstance(kind, str) and isinstance(score, str):
            out.append(ScoreEntry(kind, score))
    return tuple(out)


def _rating(*tables: Any) -> str | None:
    """A database's own severity word, from its opaque tables, if it is a plain string."""
    for table in tables:
        if isinstance(table, Mapping):
            for key in ("severity", "urgency"):
                value = table.get(key)
                if isinstance(value, str) and value.strip():
                    return value.strip()
    return None


def _events(value: Any, where: str) -> tuple[Event, ...]:
    if not isinstance(value, list) or not value:
        raise _fail(where, "ranges[].events must be a non-empty list")
    events = []
    for item in value:
        if not isinstance(item, Mapping):
            raise _fail(where, "ranges[].events items must be objects")
        kinds = [k for k in item if k in EVENT_KINDS]
        # OSV schema, "Requirements": only a single type is allowed in each event object.
        if len(kinds) != 1 or not isinstance(item[kinds[0]], str):
            raise _fail(
                where,
                f"event {json.dumps(item)[:80]} must have exactly one of "
                "introduced/fixed/last_affected/limit (a string)",
            )
        events.append(Event(kinds[0], item[kinds[0]]))
    return tuple(events)


def _affected(item: Any, where: str) -> Affected:
    if not isinstance(item, Mapping):
        raise _fail(where, "affected items must be objects")
    package = item.get("package")
    if not isinstance(package, Mapping):
        # Records about a repository only (GIT ranges, no package) cannot name a package.
        package = {}
    ranges_doc = item.get("ranges") or []
    if not isinstance(ranges_doc, list):
        raise _fail(where, "affected[].ranges must be a list")
    ranges = []
    for r in ranges_doc:
        if not isinstance(r, Mapping) or not isinstance(r.get("type"), str):
            raise _fail(where, "affected[].ranges[] needs a type")
        ranges.append(
            Range(r["type"], _events(r.get("events"), where), _str(r.get("repo"), where, "repo"))
        )
    return Affected(
        ecosystem=_str(package.get("ecosystem"), where, "package.ecosystem") or "",
        name=_str(package.get("name"), where, "package.name") or "",
        purl=_str(package.get("purl"), where, "package.purl"),
        ranges=tuple(ranges),
        versions=_strings(item.get("versions"), where, "affected[].versions"),
        severity=_scores(item.get("severity"), where, "affected[].severity"),
        rating=_rating(item.get("database_specific"), item.get("ecosystem_specific")),
    )


def parse_advisory(doc: Any, where: str) -> Advisory:
    """An OSV record from its decoded JSON. ``where`` names its file for error messages."""
    if not isinstance(doc, Mapping):
        raise _fail(where, "not a JSON object")
    ident = _str(doc.get("id"), where, "id", required=True)
    assert ident is not None
    here = f"{ident} ({where})"
    affected_doc = doc.get("affected") or []
    if not isinstance(affected_doc, list):
        raise _fail(here, "affected must be a list")
    refs = doc.get("references") or []
    urls = (
        tuple(r["url"] for r in refs if isinstance(r, Mapping) and isinstance(r.get("url"), str))
        if isinstance(refs, list)
        else ()
    )
    return Advisory(
        id=ident,
        modified=_str(doc.get("modified"), here, "modified") or "",
        affected=tuple(_affected(a, here) for a in affected_doc),
        aliases=_strings(doc.get("aliases"), here, "aliases"),
        upstream=_strings(doc.get("upstream"), here, "upstream"),
        summary=_str(doc.get("summary"), here, "summary") or "",
        details=_str(doc.get("details"), here, "details") or "",
        published=_str(doc.get("published"), here, "published"),
        withdrawn=_str(doc.get("withdrawn"), here, "withdrawn"),
        severity=_scores(doc.get("severity"), here, "severity"),
        rating=_rating(doc.get("database_specific")),
        references=urls,
    )


_OSV_KEYS = frozenset(
    {"modified", "affected", "schema_version", "aliases", "withdrawn", "published", "upstream"}
)


def is_osv_record(doc: Any) -> bool:
    """Whether a JSON document claims to be an OSV record (it carries a key only the OSV schema
    defines). Mirrors and test-data trees hold other advisory formats beside OSV (NVD, MSRC,
    KEV...); those are skipped and counted, while a document that claims to be OSV and is
    broken is still an error."""
    return isinstance(doc, Mapping) and not _OSV_KEYS.isdisjoint(doc)


def load_json(data: bytes, where: str) -> Any:
    """Decode one JSON file, as an :class:`AdvisoryDatabaseError` naming it when broken."""
    return parse_json(data, f"advisory file {where}", AdvisoryDatabaseError)


def records_in(doc: Any) -> Sequence[Any]:
    """A file holds one record, or (some mirrors) a JSON array of records."""
    return doc if isinstance(doc, list) else [doc]


__all__ = [
    "Advisory",
    "Affected",
    "Event",
    "Range",
    "ScoreEntry",
    "is_osv_record",
    "load_json",
    "parse_advisory",
    "records_in",
]
