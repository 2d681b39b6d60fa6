"""Alpine (and Wolfi, Chainguard) packages: ``lib/apk/db/installed``.

The installed database is a list of records separated by blank lines, one ``X:value`` line per
field (apk-tools ``doc/apk-package.5``, "PKGINFO" letters in the installed db): ``P`` name,
``V`` version, ``A`` architecture, ``L`` license, ``o`` origin (the source package the binary
package was built from; Alpine advisories name it). Origin packages share the binary's
version: one APKBUILD makes them all.
"""

from __future__ import annotations

from gate.analyzers.packages.found import FoundPackage, PackageDataError, clean

INSTALLED_PATH = "/lib/apk/db/installed"
_MAX_RECORDS = 200_000


def wants(path: str) -> bool:
    return path == INSTALLED_PATH


def _records(text: str) -> list[dict[str, str]]:
    records: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                records.append(current)
                if len(records) > _MAX_RECORDS:
                    raise PackageDataError("too many records")
            current = {}
            continue
        if len(line) >= 2 and line[1] == ":":
            # File lines (F, R, Z, a, M) repeat; the package fields come first and once.
            current.setdefault(line[0], line[2:])
    if current:
        records.append(current)
    return records


def parse(path: str, data: bytes) -> list[FoundPackage]:
    text = data.decode("utf-8", "replace")
    records = _records(text)
    if text.strip() and not any("P" in r for r in records):
        raise PackageDataError("no package record (P: line) in a non-empty installed database")
    packages: list[FoundPackage] = []
    for fields in records:
        name = clean(fields.get("P"))
        if name is None:
            continue
        version = clean(fields.get("V"))
        if version is None:
            # apk cannot have installed it; it names nothing an advisory could match.
            continue
        license_ = clean(fields.get("L"))
        packages.append(
            FoundPackage(
                name=name,
                version=version,
                source_name=clean(fields.get("o")) or name,
                source_version=version,
                arch=clean(fields.get("A")),
                licenses=(license_,) if license_ else (),
            )
        )
    return packages
