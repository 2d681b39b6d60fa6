"""The package inventory's part of the layer walk: package databases and metadata files.

``wants`` decides by path, mode and size only; ``scan_file`` hands the bytes to the parser of
the format and records what it found as one small JSON record per file (cached per layer).
A file the walk could only read in part, or that does not parse, becomes a ``note`` record: the
inventory reports it (and fails for an operating-system database in the final image), it is
never dropped silently.
"""

from __future__ import annotations

import struct
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gate.analyzers.interface import Record
from gate.analyzers.packages import (
    apk,
    composer_installed,
    dotnet_deps,
    dpkg,
    go_buildinfo,
    java_archive,
    node_package,
    python_metadata,
    rpm_bdb,
    rpm_ndb,
    rpm_sqlite,
    ruby_gemspec,
    rust_auditable,
)
from gate.analyzers.packages.executable import is_executable_format
from gate.analyzers.packages.found import (
    FoundPackage,
    PackageDataError,
    note_record,
    packages_record,
)
from gate.models import ScanNote
from gate.sources.image.model import EntryMeta, EntryType

RPM_DIRS = ("/var/lib/rpm/", "/usr/lib/sysimage/rpm/", "/usr/share/rpm/")
"""Where rpm keeps its database (``%_dbpath``); Fedora 36+ moved it to /usr/lib/sysimage."""
NOTE_TOO_LARGE = "package-file-too-large"
NOTE_UNREADABLE = "package-file-unreadable"
NOTE_NESTED = "package-archive-entry-skipped"
_BINARY_MIN_SIZE = 1024
_BINARY_SUFFIXES = (".exe", ".dll")
_PARSE_FAILURES = (
    PackageDataError, ValueError, IndexError, KeyError, TypeError, struct.error, zlib.error,
    OverflowError, RecursionError, UnicodeError, EOFError,
)

Parser = Callable[[str, bytes], list[FoundPackage]]


@dataclass(frozen=True)
class Format:
    name: str
    """Recorded in each record; the inventory maps it to an ecosystem."""
    wants: Callable[[str], bool]
    parse: Parser


def _in_rpm_dir(filename: str) -> Callable[[str], bool]:
    return lambda path: any(path == d + filename for d in RPM_DIRS)


FORMATS: tuple[Format, ...] = (
    Format("dpkg", dpkg.wants, dpkg.parse),
    Format("apk", apk.wants, apk.parse),
    Format("rpm-sqlite", _in_rpm_dir(rpm_sqlite.FILENAME), rpm_sqlite.parse),
    Format("rpm-bdb", _in_rpm_dir(rpm_bdb.FILENAME), rpm_bdb.parse),
    Format("rpm-ndb", _in_rpm_dir(rpm_ndb.FILENAME), rpm_ndb.parse),
    Format("python", python_metadata.wants, python_metadata.parse),
    Format("npm", node_package.wants, node_package.parse),
    Format("composer", composer_installed.wants, composer_installed.parse),
    Format("nuget", dotnet_deps.wants, dotnet_deps.parse),
    Format("rubygems", ruby_gemspec.wants, ruby_gemspec.parse),
    Format("java", java_archive.wants, java_archive.parse),
)
"""Every format read by path. Executables (Go, Rust) are recognised by mode and content."""
OS_FORMATS = frozenset({"dpkg", "apk", "rpm-sqlite", "rpm-bdb", "rpm-ndb"})


def _format_for(path: str) -> Format | None:
    for fmt in FORMATS:
        if fmt.wants(path):
            return fmt
    return None


def _is_binary_candidate(meta: EntryMeta) -> bool:
    if meta.size < _BINARY_MIN_SIZE:
        return False
    return bool(meta.mode & 0o111) or meta.path.lower().endswith(_BINARY_SUFFIXES)


class PackageFileAnalyzer:
    """``LayerFileAnalyzer`` of the package inventory (records: packages found per file)."""

    name = "packages"
    version = "1"

    def options_key(self) -> str:
        return ""

    def wants(self, meta: EntryMeta) -> bool:
        if meta.type is not EntryType.FILE:
            return False
        return _format_for(meta.path) is not None or _is_binary_candidate(meta)

    def scan_file(self, meta: EntryMeta, data: bytes) -> list[Record]:
        truncated = meta.size > len(data)
        fmt = _format_for(meta.path)
        if fmt is None:
            return self._scan_binary(meta, data, truncated)
        if truncated and fmt.name != "java":
            return [note_record(fmt.name, meta.path, NOTE_TOO_LARGE,
                                f"{meta.size} bytes, larger than the walk reads")]
        try:
            if fmt.name == "java":
                if truncated:
                    scan = java_archive.parse_truncated(meta.path, data)
                    scan.problems.append(
                        f"{meta.size} bytes, larger than the walk reads: only the entries in "
                        f"its first {len(data)} bytes were read")
                else:
                    scan = java_archive.parse_archive(meta.path, data)
                records: list[Record] = []
                if scan.packages:
                    records.append(packages_record(fmt.name, meta.path, scan.packages))
                records.extend(
                    note_record(fmt.name, meta.path,
                                NOTE_TOO_LARGE if "larger than the walk" in problem
                                else NOTE_NESTED, problem)
                    for problem in scan.problems)
                return records
            packages = fmt.parse(meta.path, data)
        except _PARSE_FAILURES as exc:
            return [note_record(fmt.name, meta.path, NOTE_UNREADABLE, _detail(exc))]
        if not packages and fmt.name not in OS_FORMATS:
            return []
        # An OS database with no package is still recorded: it says "nothing installed".
        return [packages_record(fmt.name, meta.path, packages)]

    def _scan_binary(self, meta: EntryMeta, data: bytes, truncated: bool) -> list[Record]:
        if not is_executable_format(data):
            return []
        records: list[Record] = []
        for name, has, parse in (
            ("go", lambda d: go_buildinfo.MAGIC in d, go_buildinfo.parse),
            ("rust", rust_auditable.has_marker, rust_auditable.parse),
        ):
            if not has(data):
                continue
            try:
                packages = parse(meta.path, data)
            except _PARSE_FAILURES as exc:
                records.append(note_record(name, meta.path, NOTE_UNREADABLE, _detail(exc)))
                continue
            if packages:
                records.append(packages_record(name, meta.path, packages))
        if truncated and not any(r["kind"] == "packages" for r in records):
            records.append(note_record("binary", meta.path, NOTE_TOO_LARGE,
                                       f"{meta.size} bytes: only the first {len(data)} were "
                                       "searched for Go build info and Rust audit data"))
        return records

    def notes(self, records: Sequence[Record]) -> list[ScanNote]:
        counts: Counter[str] = Counter(
            str(r["note"]) for r in records if r.get("kind") == "note"
        )
        return [ScanNote(kind=kind, count=count, detail=NOTE_DETAIL.get(kind, kind))
                for kind, count in sorted(counts.items())]


NOTE_DETAIL = {
    NOTE_TOO_LARGE: "package files larger than the layer walk reads: not (fully) inventoried",
    NOTE_UNREADABLE: "package databases or metadata files that do not parse",
    NOTE_NESTED: "archive entries not opened (nesting or size caps, or corrupt)",
}


def _detail(exc: BaseException) -> str:
    text = exc.message if isinstance(exc, PackageDataError) else f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())[:300]
