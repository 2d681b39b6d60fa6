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
noted, not followed.
"""

from __future__ import annotations

import io
import re
import zipfile
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


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, scan: JavaScan) -> bytes:
    if info.file_size > limit:
        raise PackageDataError(f"{info.filename} inflates to {info.file_size} bytes (cap {limit})")
    if scan.inflated + info.file_size > MAX_INFLATED_BYTES:
        raise PackageDataError(f"archive inflates past {MAX_INFLATED_BYTES} bytes")
    with archive.open(info) as handle:
        # file_size is the archive's own claim; read one byte more to catch a lie.
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise PackageDataError(f"{info.filename} inflates past its declared size")
    scan.inflated += len(data)
    return data


def _scan(data: bytes, name: str, location: str | None, depth: int, scan: JavaScan) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise PackageDataError(f"not a readable zip archive ({exc})") from exc
    with archive:
        found: list[FoundPackage] = []
        manifest: dict[str, str] = {}
        nested: list[zipfile.ZipInfo] = []
        for info in archive.infolist():
            entry = info.filename
            if info.is_dir():
                continue
            if _POM_PROPERTIES.match(entry):
                props = parse_properties(
                    _read(archive, info, MAX_METADATA_BYTES, scan).decode("utf-8", "replace")
                )
                group, artifact = _token(props.get("groupId")), _token(props.get("artifactId"))
                version = clean(props.get("version"))
                if group and artifact and version:
                    found.append(FoundPackage(name=f"{group}:{artifact}", version=version,
                                              location=location))
            elif entry.upper() == "META-INF/MANIFEST.MF":
                manifest = parse_manifest(
                    _read(archive, info, MAX_METADATA_BYTES, scan).decode("utf-8", "replace")
                )
            elif entry.lower().endswith(ARCHIVE_SUFFIXES):
                nested.append(info)
        if not found and manifest:
            stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
            package = _from_manifest(manifest, stem, location)
            if package:
                found.append(package)
        scan.packages.extend(found)
        for info in nested:
            inner = f"{location}!/{info.filename}" if location else info.filename
            if depth + 1 > MAX_DEPTH:
                scan.problems.append(f"{inner}: nested deeper than {MAX_DEPTH} archives")
                continue
            try:
                inner_data = _read(archive, info, MAX_ENTRY_BYTES, scan)
                _scan(inner_data, info.filename, inner, depth + 1, scan)
            except (PackageDataError, zipfile.BadZipFile, OSError, EOFError, ValueError,
                    NotImplementedError) as exc:
                scan.problems.append(f"{inner}: {exc}")


def parse_archive(path: str, data: bytes) -> JavaScan:
    scan = JavaScan()
    try:
        _scan(data, path, None, 0, scan)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise PackageDataError(f"unreadable archive: {exc}") from exc
    return scan


def parse(path: str, data: bytes) -> list[FoundPackage]:
    return parse_archive(path, data).packages
