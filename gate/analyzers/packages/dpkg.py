"""Debian packages: ``var/lib/dpkg/status`` and distroless ``var/lib/dpkg/status.d/<name>``.

Both are deb822 control files (Debian Policy 5.1): paragraphs separated by blank lines, fields
``Name: value`` with continuation lines starting with a space. ``Source:`` names the source
package, optionally with its own version in parentheses (Policy 5.6.1); without one the source
is the binary package at the binary's version. ``Status:`` is ``want flag state``
(dpkg(1) "PACKAGE STATES"); a package whose state is ``not-installed`` or ``config-files``
has no files on disk any more and is not inventoried, and dpkg reads a paragraph of the status
file without ``Status`` as not installed. Distroless status.d files carry no Status at all.
"""

from __future__ import annotations

import re

from gate.analyzers.packages.found import FoundPackage, PackageDataError, clean

STATUS_PATH = "/var/lib/dpkg/status"
STATUS_DIR = "/var/lib/dpkg/status.d/"
# Files dpkg or distroless place beside the package paragraphs in status.d.
_SIDE_FILE_SUFFIXES = (
    ".md5sums", ".list", ".conffiles", ".preinst", ".postinst", ".prerm", ".postrm",
    ".triggers", ".shlibs", ".symbols", ".templates", ".config",
)
_ABSENT_STATES = frozenset({"not-installed", "config-files"})
_SOURCE = re.compile(r"^(?P<name>\S+)(?:\s*\((?P<version>[^)]+)\))?$")
_MAX_PARAGRAPHS = 200_000


def wants(path: str) -> bool:
    if path == STATUS_PATH:
        return True
    if path.startswith(STATUS_DIR):
        name = path[len(STATUS_DIR):]
        return "/" not in name and not name.endswith(_SIDE_FILE_SUFFIXES)
    return False


def paragraphs(text: str) -> list[dict[str, str]]:
    """deb822 paragraphs as field -> value (continuation lines joined with newlines)."""
    result: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last: str | None = None
    for line in text.splitlines():
        if not line.strip():
            if current:
                result.append(current)
                if len(result) > _MAX_PARAGRAPHS:
                    raise PackageDataError("too many paragraphs")
            current, last = {}, None
            continue
        if line[0] in " \t":
            if last is not None:
                current[last] += "\n" + line.strip()
            continue
        if line.startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep:
            # Not deb822; dpkg would refuse the file. parse() decides whether that is fatal.
            last = None
            continue
        last = key.strip()
        current[last] = value.strip()
    if current:
        result.append(current)
    return result


def parse(path: str, data: bytes) -> list[FoundPackage]:
    text = data.decode("utf-8", "replace")
    packages: list[FoundPackage] = []
    found = paragraphs(text)
    if path == STATUS_PATH and text.strip() and not any("Package" in f for f in found):
        raise PackageDataError("no package paragraph in a non-empty status file")
    for fields in found:
        name = clean(fields.get("Package"))
        if name is None:
            # status.d holds other files too; a paragraph without Package is not one.
            continue
        version = clean(fields.get("Version"))
        status = fields.get("Status", "").split()
        if status[-1:] and status[-1] in _ABSENT_STATES:
            continue
        if not status and path == STATUS_PATH:
            # dpkg reads a status paragraph without Status as "not-installed"; distroless
            # status.d files never carry one.
            continue
        if version is None:
            # dpkg refuses such a paragraph; it names nothing an advisory could match.
            continue
        source_name, source_version = name, version
        source = clean(fields.get("Source"))
        if source:
            match = _SOURCE.match(source)
            if match:
                source_name = match.group("name")
                source_version = clean(match.group("version")) or version
        packages.append(
            FoundPackage(
                name=name,
                version=version,
                source_name=source_name,
                source_version=source_version,
                arch=clean(fields.get("Architecture")),
            )
        )
    return packages
