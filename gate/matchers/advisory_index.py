"""The advisory database: OSV JSON files (a directory, a zip, or a directory of zips as osv.dev
exports them) indexed into SQLite, so a scan reads only the records of the packages it has.

* Built once per source: the index file is named by the source's identity (path, and the
  size and modification time of every file in it) and by :data:`INDEX_FORMAT`; a changed file
  rebuilds it, an unchanged source reuses it. Written to a temporary file and renamed, so a
  reader never sees half an index.
* Withdrawn records (OSV ``withdrawn``) are not indexed; they are counted.
* ``affected`` rows are keyed by ecosystem base (``Debian``, not ``Debian:12``: the release is
  checked when matching) and the name's identity in that ecosystem
  (:func:`gate.matchers.ecosystems.normalize_name`).
* The database's age is its newest ``modified`` time, or for a downloaded database the time
  of the download (whichever the caller gives), reported and checked against the policy.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import sqlite3
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from gate.errors import AdvisoryDatabaseError
from gate.matchers.ecosystems import normalize_name, parse_ecosystem
from gate.matchers.osv import Advisory, is_osv_record, load_json, parse_advisory, records_in
from gate.models import InstalledPackage

INDEX_FORMAT = "1"
"""Bump when the index layout or what it keeps changes: every cached index is rebuilt."""

MAX_RECORD_BYTES = 64 * 1024 * 1024
"""A single OSV file larger than this (uncompressed) is refused: no real record comes close."""

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE advisory (
    row INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    modified TEXT NOT NULL,
    body BLOB NOT NULL
);
CREATE TABLE affected (base TEXT NOT NULL, name TEXT NOT NULL, advisory INTEGER NOT NULL);
"""
_INDEXES = "CREATE INDEX affected_key ON affected (base, name);"


@dataclass(frozen=True)
class DatabaseInfo:
    """What the reports say about the advisory database used."""

    source: str
    """Human description: ``OSV directory examples/advisories``, ``osv.dev exports in DIR``."""
    records: int
    """Records indexed (withdrawn ones excluded)."""
    withdrawn: int
    newest_modified: str | None
    """The newest ``modified`` time of any record (RFC 3339)."""
    downloaded_at: str | None
    """When ``gate db update`` downloaded it (RFC 3339), for a downloaded database."""
    built_at: str
    ecosystems: tuple[str, ...]
    """Ecosystem bases with at least one record."""
    index_path: str = ""
    skipped: int = 0
    """JSON documents in the source that are not OSV records (other advisory formats)."""
    skipped_example: str = ""
    """The file of the first one, for the report."""

    @property
    def updated(self) -> str | None:
        """The date the age is measured from: the download time, else the newest record."""
        return self.downloaded_at or self.newest_modified


def _now() -> str:
    return (
        dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    )


def _parse_time(text: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


# -- reading a source -----------------------------------------------------------------------


def _source_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise AdvisoryDatabaseError(f"advisory database {path}: no such file or directory")
    files = []
    for root, dirs, names in os.walk(path):
        dirs.sort()
        for name in sorted(names):
            if name.endswith((".json", ".zip")):
                files.append(Path(root) / name)
    return files


def source_identity(path: Path) -> str:
    """A hash that changes whenever any advisory file of ``path`` changes (name, size, mtime).

    Walks with ``os.scandir`` and plain strings: this runs on every scan (tens of thousands of
    files for a full export directory), so it must cost a stat per file and nothing more."""
    digest = hashlib.sha256(f"gate-osv-index {INDEX_FORMAT}\n{path.resolve()}\n".encode())
    if path.is_file():
        st = path.stat()
        digest.update(f"{path.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        return digest.hexdigest()
    if not path.is_dir():
        raise AdvisoryDatabaseError(f"advisory database {path}: no such file or directory")
    stack = [("", str(path))]
    while stack:
        prefix, directory = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            raise AdvisoryDatabaseError(
                f"advisory directory {directory}: {exc.strerror or exc}"
            ) from None
        subdirs = []
        for entry in entries:
            if entry.is_dir():
                subdirs.append((prefix + entry.name + "/", entry.path))
            elif entry.name.endswith((".json", ".zip")):
                try:
                    st = entry.stat()
                except OSError as exc:
                    raise AdvisoryDatabaseError(
                        f"advisory file {entry.path}: {exc.strerror or exc}"
                    ) from None
                digest.update(f"{prefix}{entry.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        stack.extend(reversed(subdirs))
    return digest.hexdigest()


def iter_source(path: Path) -> Iterator[tuple[str, bytes]]:
    """(name for messages, file bytes) of every OSV JSON file in a directory, zip or both."""
    for file in _source_files(path):
        if file.suffix == ".zip":
            yield from _iter_zip(file)
        else:
            try:
                yield str(file), file.read_bytes()
            except OSError as exc:
                raise AdvisoryDatabaseError(
                    f"advisory file {file}: {exc.strerror or exc}"
                ) from None


def _iter_zip(file: Path) -> Iterator[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(file)
    except (OSError, zipfile.BadZipFile) as exc:
        raise AdvisoryDatabaseError(f"advisory zip {file}: not a readable zip ({exc})") from None
    with archive:
        for member in archive.infolist():
            if member.is_dir() or not member.filename.endswith(".json"):
                continue
            where = f"{file}!{member.filename}"
            if member.file_size > MAX_RECORD_BYTES:
                raise AdvisoryDatabaseError(f"advisory file {where}: larger than 64 MiB")
            try:
                yield where, archive.read(member)
            except (OSError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
                raise AdvisoryDatabaseError(f"advisory file {where}: cannot read ({exc})") from None


# -- building -------------------------------------------------------------------------------


def build_index(
    files: Iterable[tuple[str, bytes]],
    out: Path | None,
    *,
    source: str,
    downloaded_at: str | None = None,
) -> AdvisoryIndex:
    """Index OSV records into ``out`` (atomically) or, with ``out=None``, into memory."""
    tmp: Path | None = None
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".index-", suffix=".sqlite", dir=out.parent)
        os.close(fd)
        tmp = Path(name)
        conn = sqlite3.connect(tmp)
    else:
        conn = sqlite3.connect(":memory:")
    try:
        info = _fill(conn, files, source=source, downloaded_at=downloaded_at)
        conn.commit()
        if out is not None and tmp is not None:
            conn.close()
            os.replace(tmp, out)
            tmp = None
            return AdvisoryIndex.open(out)
        return AdvisoryIndex(conn, info)
    except BaseException:
        conn.close()
        raise
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()


def _fill(
    conn: sqlite3.Connection,
    files: Iterable[tuple[str, bytes]],
    *,
    source: str,
    downloaded_at: str | None,
) -> DatabaseInfo:
    conn.executescript(_SCHEMA)
    ids: dict[str, int] = {}
    newest: tuple[dt.datetime, str] | None = None
    withdrawn = 0
    bases: set[str] = set()
    rows: list[tuple[str, str, int]] = []
    skipped = 0
    skipped_example = ""
    for where, data in files:
        for doc in records_in(load_json(data, where)):
            if not is_osv_record(doc):
                skipped += 1
                skipped_example = skipped_example or where
                continue
            advisory = parse_advisory(doc, where)
            if advisory.withdrawn:
                withdrawn += 1
                continue
            if advisory.id in ids:
                # The same record twice (a mirror holding two copies): keep the newer one.
                previous = conn.execute(
                    "SELECT modified FROM advisory WHERE id = ?", (advisory.id,)
                ).fetchone()[0]
                if (_parse_time(previous) or _EPOCH) >= (_parse_time(advisory.modified) or _EPOCH):
                    continue
                conn.execute("DELETE FROM affected WHERE advisory = ?", (ids[advisory.id],))
                conn.execute("DELETE FROM advisory WHERE id = ?", (advisory.id,))
            body = zlib.compress(json.dumps(doc, separators=(",", ":")).encode(), 6)
            cur = conn.execute(
                "INSERT INTO advisory (id, modified, body) VALUES (?, ?, ?)",
                (advisory.id, advisory.modified, body),
            )
            row = int(cur.lastrowid or 0)
            ids[advisory.id] = row
            modified = _parse_time(advisory.modified) if advisory.modified else None
            if modified is not None and (newest is None or modified > newest[0]):
                newest = (modified, advisory.modified)
            keys = set()
            for affected in advisory.affected:
                if not affected.ecosystem or not affected.name:
                    continue
                base = parse_ecosystem(affected.ecosystem).base
                bases.add(base)
                keys.add((base, normalize_name(base, affected.name)))
            rows.extend((base, name, row) for base, name in keys)
            if len(rows) > 5000:
                conn.executemany("INSERT INTO affected VALUES (?, ?, ?)", rows)
                rows.clear()
    conn.executemany("INSERT INTO affected VALUES (?, ?, ?)", rows)
    conn.executescript(_INDEXES)
    info = DatabaseInfo(
        source=source,
        records=len(ids),
        withdrawn=withdrawn,
        newest_modified=newest[1] if newest else None,
        downloaded_at=downloaded_at,
        built_at=_now(),
        ecosystems=tuple(sorted(bases)),
        skipped=skipped,
        skipped_example=skipped_example,
    )
    if not ids and not withdrawn and skipped:
        # A directory of another format (an NVD feed, a grype cache) must not pass as an empty
        # database that finds nothing.
        raise AdvisoryDatabaseError(
            f"advisory database {source}: no OSV records, {skipped} JSON document(s) in "
            f"another format (e.g. {skipped_example})",
            hint="--vuln-db takes a directory or zip of OSV JSON files",
        )
    meta = {
        "format": INDEX_FORMAT,
        "source": info.source,
        "records": str(info.records),
        "withdrawn": str(info.withdrawn),
        "newest_modified": info.newest_modified or "",
        "downloaded_at": info.downloaded_at or "",
        "built_at": info.built_at,
        "ecosystems": json.dumps(list(info.ecosystems)),
        "skipped": str(info.skipped),
        "skipped_example": info.skipped_example,
    }
    conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
    return info


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


# -- reading --------------------------------------------------------------------------------


class AdvisoryIndex:
    """A built index, opened read-only."""

    def __init__(self, conn: sqlite3.Connection, info: DatabaseInfo) -> None:
        self._conn = conn
        self.info = info
        self._cache: dict[int, Advisory] = {}

    @classmethod
    def open(cls, path: Path) -> AdvisoryIndex:
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.Error as exc:
            raise AdvisoryDatabaseError(
                f"advisory index {path}: not a gate advisory index ({exc})",
                hint="delete it and run `gate db update` again",
            ) from None
        if meta.get("format") != INDEX_FORMAT:
            conn.close()
            raise AdvisoryDatabaseError(
                f"advisory index {path}: format {meta.get('format')!r}, this gate reads "
                f"{INDEX_FORMAT!r}",
                hint="run `gate db update` again",
            )
        try:
            info = DatabaseInfo(
                source=meta["source"],
                records=int(meta["records"]),
                withdrawn=int(meta["withdrawn"]),
                newest_modified=meta["newest_modified"] or None,
                downloaded_at=meta["downloaded_at"] or None,
                built_at=meta["built_at"],
                ecosystems=tuple(json.loads(meta["ecosystems"])),
                index_path=str(path),
                skipped=int(meta.get("skipped", "0")),
                skipped_example=meta.get("skipped_example", ""),
            )
        except (KeyError, ValueError) as exc:
            conn.close()
            raise AdvisoryDatabaseError(
                f"advisory index {path}: incomplete metadata ({exc})"
            ) from None
        return cls(conn, info)

    def close(self) -> None:
        self._conn.close()

    def prepare(self, packages: Sequence[InstalledPackage]) -> None:
        """Nothing to prefetch: each lookup is one indexed query."""

    def candidates(self, base: str, names: Iterable[str]) -> list[Advisory]:
        return self.lookup(base, names)

    def lookup(self, base: str, names: Iterable[str]) -> list[Advisory]:
        """Every record with an ``affected`` entry for one of ``names`` in ecosystem ``base``."""
        keys = sorted({normalize_name(base, n) for n in names if n})
        if not keys:
            return []
        marks = ",".join("?" * len(keys))
        try:
            rows = self._conn.execute(
                f"SELECT DISTINCT advisory FROM affected WHERE base = ? AND name IN ({marks})",
                (base, *keys),
            ).fetchall()
            return [self._advisory(int(r[0])) for r in rows]
        except sqlite3.Error as exc:
            raise AdvisoryDatabaseError(f"advisory index {self.info.index_path}: {exc}") from None

    def _advisory(self, row: int) -> Advisory:
        cached = self._cache.get(row)
        if cached is not None:
            return cached
        ident, body = self._conn.execute(
            "SELECT id, body FROM advisory WHERE row = ?", (row,)
        ).fetchone()
        where = f"{ident} in {self.info.index_path or 'index'}"
        try:
            doc = json.loads(zlib.decompress(body))
        except (zlib.error, ValueError) as exc:
            raise AdvisoryDatabaseError(f"advisory index: record {where} corrupt ({exc})") from None
        advisory = parse_advisory(doc, where)
        self._cache[row] = advisory
        return advisory


def open_sources(paths: Sequence[Path], cache_dir: Path | None) -> AdvisoryIndex:
    """``--vuln-db PATH`` (repeatable): the cached index of these sources, built first if it
    is missing or any file changed. ``cache_dir=None`` builds it in memory."""
    if not paths:
        raise AdvisoryDatabaseError("no advisory source given")
    labels = []
    for path in paths:
        if not path.exists():
            raise AdvisoryDatabaseError(f"advisory database {path}: no such file or directory")
        labels.append(f"OSV {'zip' if path.is_file() else 'directory'} {path}")
    label = "; ".join(labels)

    def records() -> Iterator[tuple[str, bytes]]:
        for path in paths:
            yield from iter_source(path)

    if cache_dir is None:
        return build_index(records(), None, source=label)
    identity = hashlib.sha256("\n".join(source_identity(p) for p in paths).encode()).hexdigest()
    target = cache_dir / "osv-index" / f"{identity[:40]}.sqlite"
    if target.is_file():
        try:
            return AdvisoryIndex.open(target)
        except AdvisoryDatabaseError:
            pass  # a damaged cache entry: rebuild it below
    return build_index(records(), target, source=label)


__all__ = [
    "INDEX_FORMAT",
    "AdvisoryIndex",
    "DatabaseInfo",
    "build_index",
    "iter_source",
    "open_sources",
    "source_identity",
]
