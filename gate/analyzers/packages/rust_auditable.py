"""Rust binaries built with ``cargo auditable``: the dependency list in the ``.dep-v0`` section.

cargo-auditable ``PARSING.md``: the section (``.dep-v0`` in ELF and PE, ``__DATA,.dep-v0`` in
Mach-O) holds zlib-compressed JSON ``{"packages": [{"name", "version", "source", "kind",
"dependencies", "root"}]}`` (``cargo-auditable.schema.json``). Decompression is capped at
8 MiB, as PARSING.md advises against zip bombs. Build-time dependencies (``"kind": "build"``)
are not in the binary, and ``"source": "local"`` crates are the project's own path crates
that no crates.io advisory can name: neither is listed.
"""

from __future__ import annotations

import zlib

from gate.analyzers.packages.executable import parse_executable, read_region
from gate.analyzers.packages.found import FoundPackage, PackageDataError, clean
from gate.analyzers.packages.json_metadata import load_json

SECTION = ".dep-v0"
_MAX_JSON = 8 * 1024 * 1024


def has_marker(data: bytes) -> bool:
    return SECTION.encode() in data


def parse(path: str, data: bytes) -> list[FoundPackage]:
    exe = parse_executable(data)
    region = exe.section(SECTION) if exe else None
    if exe is None or region is None:
        return []
    compressed = read_region(data, exe, region)
    if compressed is None:
        raise PackageDataError(f"{SECTION} section lies past the bytes read")
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(compressed, _MAX_JSON)
    except zlib.error as exc:
        raise PackageDataError(f"{SECTION} is not zlib data: {exc}") from exc
    if inflater.unconsumed_tail:
        raise PackageDataError(f"{SECTION} inflates past {_MAX_JSON} bytes")
    doc = load_json(raw)
    items = doc.get("packages") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise PackageDataError(f"{SECTION} JSON has no packages list")
    packages: list[FoundPackage] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        source = item.get("source")
        if item.get("kind") == "build" or source in ("local", "Local"):
            continue
        name = clean(item.get("name")) if isinstance(item.get("name"), str) else None
        version = clean(item.get("version")) if isinstance(item.get("version"), str) else None
        if name and version:
            packages.append(FoundPackage(name=name, version=version))
    return packages
