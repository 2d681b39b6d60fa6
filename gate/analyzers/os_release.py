"""Which operating system an image is: ``os-release`` (freedesktop.org) and the older fallbacks.

A small layer-walk analyzer records the few release files of each layer; :func:`os_info` then
resolves them against the final filesystem (a later layer may replace or delete them, and on
Debian ``/etc/os-release`` is a symlink to ``../usr/lib/os-release``). The configuration check
(end of life) and the package inventory (advisory ecosystems such as ``Debian:12``) share it.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Sequence
from dataclasses import replace

from gate.analyzers.filesystem import FilesystemView
from gate.analyzers.interface import LayerScan, Record
from gate.models import LayerRef, OSInfo, ScanNote
from gate.sources.image.model import EntryMeta, EntryType

OS_RELEASE_FILES = ("/etc/os-release", "/usr/lib/os-release")
"""In the order os-release(5) says to read them."""

_FALLBACKS = (
    "/etc/alpine-release",
    "/etc/debian_version",
    "/etc/redhat-release",
    "/etc/system-release",
    "/etc/centos-release",
    "/etc/lsb-release",
)
_WANTED = frozenset(OS_RELEASE_FILES + _FALLBACKS)
_MAX_BYTES = 64 * 1024
_SYMLINK_HOPS = 8


class OsReleaseFileAnalyzer:
    """``LayerFileAnalyzer`` recording the release files of each layer (tiny records)."""

    name = "os-release"
    version = "1"

    def options_key(self) -> str:
        return ""

    def wants(self, meta: EntryMeta) -> bool:
        return meta.type is EntryType.FILE and meta.path in _WANTED and meta.size <= _MAX_BYTES

    def scan_file(self, meta: EntryMeta, data: bytes) -> list[Record]:
        return [{"path": meta.path, "text": data.decode("utf-8", "replace")}]

    def notes(self, records: Sequence[Record]) -> list[ScanNote]:
        return []


def parse_os_release(text: str) -> dict[str, str]:
    """``KEY=value`` lines with shell quoting, as os-release(5) specifies."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, raw = line.partition("=")
        try:
            parts = shlex.split(raw, comments=False, posix=True)
        except ValueError:
            parts = [raw.strip("\"'")]
        values[key.strip()] = parts[0] if parts else ""
    return values


def _info_from_os_release(path: str, text: str) -> OSInfo | None:
    values = parse_os_release(text)
    os_id = values.get("ID", "").lower()
    if not os_id:
        return None
    return OSInfo(
        id=os_id,
        version_id=values.get("VERSION_ID", ""),
        pretty_name=values.get("PRETTY_NAME", ""),
        version_codename=values.get("VERSION_CODENAME", ""),
        id_like=tuple(values.get("ID_LIKE", "").lower().split()),
        found_in=path,
    )


_REDHAT = re.compile(
    r"(?P<name>Red Hat Enterprise Linux|CentOS(?: Stream)?|Rocky Linux|AlmaLinux|Fedora|"
    r"Amazon Linux|Oracle Linux)[^\d]*(?P<version>\d+(?:\.\d+)?)",
    re.IGNORECASE,
)
_REDHAT_IDS = {
    "red hat enterprise linux": "rhel",
    "centos": "centos",
    "centos stream": "centos",
    "rocky linux": "rocky",
    "almalinux": "almalinux",
    "fedora": "fedora",
    "amazon linux": "amzn",
    "oracle linux": "ol",
}


def _info_from_fallback(path: str, text: str) -> OSInfo | None:
    first = text.strip().splitlines()[0].strip() if text.strip() else ""
    if not first:
        return None
    if path == "/etc/alpine-release":
        return OSInfo(
            id="alpine", version_id=first, pretty_name=f"Alpine Linux v{first}", found_in=path
        )
    if path == "/etc/debian_version":
        # "12.5" on a release, "trixie/sid" on testing: only a number is a version.
        version = first.split(".")[0] if first[0].isdigit() else ""
        return OSInfo(id="debian", version_id=version, pretty_name=f"Debian {first}", found_in=path)
    if path == "/etc/lsb-release":
        values = parse_os_release(text)
        os_id = values.get("DISTRIB_ID", "").lower()
        if not os_id:
            return None
        return OSInfo(
            id=os_id,
            version_id=values.get("DISTRIB_RELEASE", ""),
            pretty_name=values.get("DISTRIB_DESCRIPTION", ""),
            version_codename=values.get("DISTRIB_CODENAME", ""),
            found_in=path,
        )
    m = _REDHAT.search(first)
    if not m:
        return None
    os_id = _REDHAT_IDS.get(m.group("name").lower(), m.group("name").lower())
    version = m.group("version")
    if os_id in {"rhel", "centos", "rocky", "almalinux", "ol"}:
        version = version.split(".")[0] if os_id == "centos" else version
    return OSInfo(id=os_id, version_id=version, pretty_name=first, found_in=path)


def _resolve(view: FilesystemView, path: str) -> str | None:
    """Follow symlinks (absolute or relative) in the final filesystem to a regular file."""
    for _ in range(_SYMLINK_HOPS):
        final = view.final(path)
        if final is None:
            return None
        meta, _layer = final
        if meta.type is EntryType.FILE:
            return path
        if meta.type is not EntryType.SYMLINK or not meta.link_target:
            return None
        target = meta.link_target
        base = target if target.startswith("/") else posixpath.join(posixpath.dirname(path), target)
        path = posixpath.normpath(base)
        if not path.startswith("/"):
            path = "/" + path
    return None


def os_info(layers: Sequence[LayerScan], view: FilesystemView | None = None) -> OSInfo | None:
    """The image's OS from the final filesystem, or None (scratch, distroless static)."""
    view = view or FilesystemView.from_layers(layers)
    texts: dict[tuple[int, str], str] = {
        (scan.layer.index, str(record["path"])): str(record["text"])
        for scan in layers
        for record in scan.records.get(OsReleaseFileAnalyzer.name, ())
    }

    def final_text(path: str) -> tuple[str, str, LayerRef] | None:
        resolved = _resolve(view, path)
        final = view.final(resolved) if resolved else None
        if resolved is None or final is None:
            return None
        # The layer that last wrote the path holds its final content.
        text = texts.get((final[1].index, resolved))
        return (resolved, text, final[1]) if text else None

    for candidates, parse in (
        (OS_RELEASE_FILES, _info_from_os_release),
        (_FALLBACKS, _info_from_fallback),
    ):
        for candidate in candidates:
            found = final_text(candidate)
            if found is None:
                continue
            resolved, text, layer = found
            info = parse(resolved, text)
            if info is not None:
                return replace(info, found_in=resolved, layer=layer)
    return None
