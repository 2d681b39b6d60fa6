"""What a parser found in one file: packages as plain values, and how they travel in the
layer cache (small JSON records, one per package database or metadata file)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gate.errors import InputError


class PackageDataError(InputError):
    """A package database or metadata file inside the image is corrupt or truncated."""


@dataclass(frozen=True)
class FoundPackage:
    """One package as its database or metadata file states it (ecosystem decided later)."""

    name: str
    version: str
    """As the ecosystem writes it: dpkg ``1:2.3-4``, rpm ``[epoch:]version-release``."""
    source_name: str | None = None
    """dpkg ``Source:``, apk origin, RPM source rpm name."""
    source_version: str | None = None
    arch: str | None = None
    epoch: int | None = None
    """RPM epoch (also folded into ``version`` when non-zero)."""
    licenses: tuple[str, ...] = ()
    location: str | None = None
    """Where inside the file (a nested jar: ``WEB-INF/lib/x.jar``); None for the file itself."""

    def record(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"name": self.name, "version": self.version}
        for key in ("source_name", "source_version", "arch", "epoch", "location"):
            value = getattr(self, key)
            if value is not None:
                doc[key] = value
        if self.licenses:
            doc["licenses"] = list(self.licenses)
        return doc

    @classmethod
    def from_record(cls, doc: Mapping[str, Any]) -> FoundPackage:
        return cls(
            name=str(doc["name"]),
            version=str(doc["version"]),
            source_name=doc.get("source_name"),
            source_version=doc.get("source_version"),
            arch=doc.get("arch"),
            epoch=doc.get("epoch"),
            licenses=tuple(doc.get("licenses", ())),
            location=doc.get("location"),
        )


def packages_record(fmt: str, path: str, packages: Sequence[FoundPackage]) -> dict[str, Any]:
    return {
        "kind": "packages",
        "format": fmt,
        "path": path,
        "packages": [p.record() for p in packages],
    }


def note_record(fmt: str, path: str, note: str, detail: str) -> dict[str, Any]:
    """A file the inventory could not (fully) read: it must show in the report."""
    return {"kind": "note", "format": fmt, "path": path, "note": note, "detail": detail}


def clean(value: str | None, limit: int = 256) -> str | None:
    """A metadata value as we keep it: stripped, one line, bounded (hostile files exist)."""
    if value is None:
        return None
    value = " ".join(value.split())
    return value[:limit] if value else None
