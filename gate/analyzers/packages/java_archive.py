"""Java archives: ``.jar``, ``.war``, ``.ear`` (and Jenkins ``.jpi``/``.hpi``), nested archives
inside them (``WEB-INF/lib/*.jar``, Spring Boot ``BOOT-INF/lib/*.jar``, an ear's modules).

Identity comes from what Maven writes into every artifact it builds:
``META-INF/maven/<groupId>/<artifactId>/pom.properties`` (``groupId``, ``artifactId``,
``version``); an archive with several (a shaded jar) ships each of them. An archive without
one falls back to its ``META-INF/MANIFEST.MF`` main section (JAR File Specification,
"Manifest Specification": 72-byte lines, continuation lines start with a space):
``Implementation-Version``/``Bundle-Version`` and ``Implementation-Vendor-Id``/
``Bundle-SymbolicName``, with the file name (``name-1.2.3.jar``) for what the manifest lacks.

Archives are opened in memory (zipfile over the bytes the layer walk read) with caps on the
nesting depth, on how many bytes may be inflated per archive, and per entry: a zip bomb is
noted, not followed. An archive larger than the walk reads (a Spring Boot fat jar) has no
central directory in the bytes we have; its entries are then read front to back by their local
headers, as far as the bytes go, and the archive is noted as read in part.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from gate.analyzers.packages.found import FoundPackage, PackageDataError, clean

ARCHIVE_SUFFIXES = (".jar", ".war", ".ear", ".jpi", ".hpi")
MAX_DEPTH = 4
"""An outer archive is depth 0; deeper archives are noted and not opened."""
MAX_ENTRY_BYTES = 64 * 1024 * 1024
MAX_INFLATED_BYTES = 512 * 1024 * 1024
"""Bytes inflated (nested archives and metadata) for one archive in the image."""
MAX_METADATA_BYTES = 1024 * 1024
_POM_PROPERTIES = re.compile(r"^META-INF/maven/[^/]+/[^/]+/pom\.properties$")
_FILENAME_VERSION = re.compile(r"^(?P<name>.+?)-(?P<version>\d[\w.+-]*?)(?:\.(?:RELEASE|Final))?$")
_TOKEN = re.compile(r"^[A-Za-z0-9_.\-]+$")


@dataclass
class JavaScan:
    packages: list[FoundPackage] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    inflated: int = 0


def wants(path: str) -> bool:
    return path.lower().endswith(ARCHIVE_SUFFIXES)


def parse_properties(text: str) -> dict[str, str]:
    """``key=value`` / ``key: value`` lines of a .properties file (comments ``#``/``!``)."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#!":
            continue
        at = min((i for i in (line.find("="), line.find(":")) if i >= 0), default=-1)
        if at > 0:
            values[line[:at].strip()] = line[at + 1:].strip()
    return values


def parse_manifest(text: str) -> dict[str, str]:
    """The main section of a MANIFEST.MF (attributes up to the first blank line)."""
    values: dict[str, str] = {}
    last: str | None = None
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line:
            break
        if line.startswith(" ") and last is not None:
            values[last] += line[1:]
            continue
        key, sep, value = line.partition(":")
        if sep:
            last = key.strip()
            values[last] = value.strip()
    return values


def _token(value: str | None) -> str | None:
    value = clean(value)
    return value if value and _TOKEN.match(value) else None


def _from_manifest(manifest: dict[str, str], stem: str, location: str | None
                   ) -> FoundPackage | None:
    file_match = _FILENAME_VERSION.match(stem)
    file_name = file_match.group("name") if file_match else stem
    file_version = file_match.group("version") if file_match else None
    version = None
    for key in ("Implementation-Version", "Bundle-Version", "Specification-Version"):
        candidate = clean(manifest.get(key))
        if candidate and " " not in candidate:
            version = candidate
            break
    version = version or file_version
    if version is None:
        return None
    artifact = _token(file_name) or _token(manifest.get("Implementation-Title"))
    if artifact is None:
        return None
    group = _token(manifest.get("Implementation-Vendor-Id"))
    if group is None:
        symbolic = _token(manifest.get("Bundle-SymbolicName", "").split(";")[0])
        if symbolic and symbolic.endswith("." + artifact):
            group = symbolic[: -len(artifact) - 1]
        elif symbolic and "." in symbolic and symbolic != artifact:
            group = symbolic.rsplit(".", 1)[0]
    name = f"{group}:{artifact}" if group else artifact
    return FoundPackage(name=name, version=version, location=location)


@dataclass(frozen=True)
class _Entry:
    name: str
    size: int
    """Inflated size the archive declares (-1: unknown, a streamed entry)."""
    read: Callable[[int], bytes]
    """Content, at most ``limit + 1`` bytes (one more than allowed reveals a lie)."""


def _central_entries(archive: zipfile.ZipFile) -> Iterator[_Entry]:
    for info in archive.infolist():
        if info.is_dir():
            continue

        def read(limit: int, info: zipfile.ZipInfo = info) -> bytes:
            with archive.open(info) as handle:
                return handle.read(limit + 1)

        yield _Entry(info.filename, info.file_size, read)


class _Truncated(Exception):
    """The bytes end inside a local entry: the rest of the archive was not read."""


def _local_entries(data: bytes) -> Iterator[_Entry]:
    """Entries by their local headers, front to back (APPNOTE.TXT 4.3.7): for an archive the
    layer walk read only in part, whose central directory (at the end) is missing."""
    offset = 0
    while data[offset:offset + 4] == b"PK\x03\x04":
        if offset + 30 > len(data):
            raise _Truncated
        (_v, flags, method, _t, _d, _crc, csize, usize, nlen, xlen) = struct.unpack_from(
            "<HHHHHIIIHH", data, offset + 4)
        name = data[offset + 30:offset + 30 + nlen].decode("utf-8", "replace")
        start = offset + 30 + nlen + xlen
        if start > len(data):
            raise _Truncated
        if 0xFFFFFFFF in (csize, usize):
            extra = data[offset + 30 + nlen:start]
            at = 0
            while at + 4 <= len(extra):
                tag, size = struct.unpack_from("<HH", extra, at)
                if tag == 0x0001 and size >= 16:  # Zip64 extended information (4.5.3)
                    usize, csize = struct.unpack_from("<QQ", extra, at + 4)
                at += 4 + size
        streamed = bool(flags & 0x8) and csize == 0
        if method not in (0, 8) or (streamed and method != 8):
            raise _Truncated  # cannot find where the next entry starts
        if streamed:
            # Sizes follow the data (a data descriptor): inflate to find where it ends.
            inflater = zlib.decompressobj(-15)
            pos = start
            while not inflater.eof:
                if pos >= len(data):
                    raise _Truncated
                pending = data[pos:pos + (1 << 20)]
                pos += len(pending)
                while pending and not inflater.eof:
                    inflater.decompress(pending, 1 << 24)
                    pending = inflater.unconsumed_tail
            end = pos - len(inflater.unused_data)
            body = data[start:end]
            end += 16 if data[end:end + 4] == b"PK\x07\x08" else 12
        else:
            end = start + csize
            if end > len(data):
                raise _Truncated
            body = data[start:end]
        offset = end

        def read(limit: int, body: bytes = body, method: int = method) -> bytes:
            if method == 0:
                return body[:limit + 1]
            return zlib.decompressobj(-15).decompress(body, limit + 1)

        if not name.endswith("/"):
            yield _Entry(name, usize if not streamed else -1, read)


def _read(entry: _Entry, limit: int, scan: JavaScan) -> bytes:
    if entry.size > limit:
        raise PackageDataError(f"{entry.name} inflates to {entry.size} bytes (cap {limit})")
    if scan.inflated + max(entry.size, 0) > MAX_INFLATED_BYTES:
        raise PackageDataError(f"archive inflates past {MAX_INFLATED_BYTES} bytes")
    data = entry.read(limit)
    if len(data) > limit:
        raise PackageDataError(f"{entry.name} inflates past {limit} bytes")
    scan.inflated += len(data)
    return data


# zipfile raises NotImplementedError for a compression method or zip feature it cannot read
# (e.g. Deflate64, an encrypted entry): an unreadable member of a hostile or odd jar, not a stub.
_ENTRY_FAILURES = (PackageDataError, zipfile.BadZipFile, OSError, EOFError, ValueError,
                   NotImplementedError, zlib.error, struct.error)


def _collect(entries: Iterator[_Entry], name: str, location: str | None, depth: int,
             scan: JavaScan) -> None:
    found: list[FoundPackage] = []
    manifest: dict[str, str] = {}
    nested: list[_Entry] = []
    for entry in entries:
        if _POM_PROPERTIES.match(entry.name):
            props = parse_properties(
                _read(entry, MAX_METADATA_BYTES, scan).decode("utf-8", "replace"))
            group, artifact = _token(props.get("groupId")), _token(props.get("artifactId"))
            version = clean(props.get("version"))
            if group and artifact and version:
                found.append(FoundPackage(name=f"{group}:{artifact}", version=version,
                                          location=location))
        elif entry.name.upper() == "META-INF/MANIFEST.MF":
            manifest = parse_manifest(
                _read(entry, MAX_METADATA_BYTES, scan).decode("utf-8", "replace"))
        elif entry.name.lower().endswith(ARCHIVE_SUFFIXES):
            nested.append(entry)
    if not found and manifest:
        stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        package = _from_manifest(manifest, stem, location)
        if package:
            found.append(package)
    scan.packages.extend(found)
    for entry in nested:
        inner = f"{location}!/{entry.name}" if location else entry.name
        if depth + 1 > MAX_DEPTH:
            scan.problems.append(f"{inner}: nested deeper than {MAX_DEPTH} archives")
            continue
        try:
            _scan(_read(entry, MAX_ENTRY_BYTES, scan), entry.name, inner, depth + 1, scan)
        except _ENTRY_FAILURES as exc:
            scan.problems.append(f"{inner}: {exc}")


def _scan(data: bytes, name: str, location: str | None, depth: int, scan: JavaScan) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise PackageDataError(f"not a readable zip archive ({exc})") from exc
    with archive:
        _collect(_central_entries(archive), name, location, depth, scan)


def parse_archive(path: str, data: bytes) -> JavaScan:
    scan = JavaScan()
    try:
        _scan(data, path, None, 0, scan)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise PackageDataError(f"unreadable archive: {exc}") from exc
    return scan


def parse_truncated(path: str, data: bytes) -> JavaScan:
    """The entries of an archive of which only the first ``len(data)`` bytes were read."""
    scan = JavaScan()
    entries: list[_Entry] = []
    try:
        entries.extend(_local_entries(data))
    except _Truncated:
        pass
    except (zlib.error, struct.error) as exc:
        scan.problems.append(f"local headers unreadable after {len(entries)} entries: {exc}")
    _collect(iter(entries), path, None, 0, scan)
    return scan


def parse(path: str, data: bytes) -> list[FoundPackage]:
    return parse_archive(path, data).packages
