"""The package inventory of an image: the layer records resolved against the final filesystem.

A package database counts in the state the final image has it: a database deleted by a later
layer lists nothing, one rewritten by a later layer counts as that layer's version. Each
package is attributed to the layer that brought it at its final version: walking back through
the layers that wrote the same file, the earliest of the unbroken run whose record still has
the package (same name, architecture, place) at that version. An ``apt-get install`` in layer 3
is therefore the layer of its packages, even when layer 5 rewrote the status file again.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from packaging.utils import canonicalize_name

from gate.analyzers.filesystem import FilesystemView, PathAction
from gate.analyzers.interface import LayerScan, Record
from gate.analyzers.os_release import os_info as detect_os
from gate.analyzers.packages.ecosystems import (
    FAMILY,
    LANGUAGE_ECOSYSTEMS,
    distro_ecosystem,
    package_url,
)
from gate.analyzers.packages.file_analyzer import NOTE_DETAIL, OS_FORMATS, PackageFileAnalyzer
from gate.analyzers.packages.found import FoundPackage, PackageDataError
from gate.models import InstalledPackage, Inventory, LayerRef, OSInfo, PackageRef, ScanNote

NOTE_OS_UNKNOWN = "os-ecosystem-unknown"
_Key = tuple[str, str | None, str | None]  # name, arch, location inside the file


def _key(package: FoundPackage) -> _Key:
    return (package.name, package.arch, package.location)


def _packages_by_key(record: Record) -> dict[_Key, str]:
    return {_key(p): p.version for p in map(FoundPackage.from_record, record["packages"])}


class _Records:
    """The analyzer's records indexed by (layer index, path)."""

    def __init__(self, scans: Sequence[LayerScan]) -> None:
        self.at: dict[tuple[int, str], list[Record]] = defaultdict(list)
        for scan in scans:
            for record in scan.records.get(PackageFileAnalyzer.name, ()):
                self.at[(scan.layer.index, str(record["path"]))].append(record)

    def paths(self) -> set[str]:
        return {path for _, path in self.at}

    def packages(self, layer: int, path: str, fmt: str) -> dict[_Key, str] | None:
        for record in self.at.get((layer, path), ()):
            if record["kind"] == "packages" and record["format"] == fmt:
                return _packages_by_key(record)
        return None


def _attribution(view: FilesystemView, records: _Records, path: str, fmt: str,
                 final_layer: int) -> dict[_Key, int]:
    """For each package key of the final record: the layer index it is attributed to."""
    final = records.packages(final_layer, path, fmt) or {}
    layer_of = {key: final_layer for key in final}
    alive = set(final)
    writes = [e for e in view.history(path) if e.layer_index < final_layer]
    for event in reversed(writes):
        if event.action is PathAction.DELETED or not alive:
            break
        earlier = records.packages(event.layer_index, path, fmt)
        if earlier is None:
            break
        for key in list(alive):
            if earlier.get(key) == final[key]:
                layer_of[key] = event.layer_index
            else:
                alive.discard(key)
    return layer_of


def _installed(fmt: str, package: FoundPackage, path: str, layer: LayerRef | None,
               os_info: OSInfo | None, distro: Mapping[str, str]) -> InstalledPackage:
    family = FAMILY.get(fmt)
    ecosystem = distro[family] if family else LANGUAGE_ECOSYSTEMS[fmt]
    found_in = f"{path}!/{package.location}" if package.location else path
    return InstalledPackage(
        package=PackageRef(
            name=package.name,
            version=package.version,
            ecosystem=ecosystem,
            purl=package_url(fmt, package, os_info),
            source_name=package.source_name,
            source_version=package.source_version,
        ),
        found_in=found_in,
        layer=layer,
        kind="os" if family else "language",
        licenses=package.licenses,
    )


def build_inventory(scans: Sequence[LayerScan], source: str) -> Inventory:
    """Every package of the final image, attributed to a layer, with the image's OS."""
    view = FilesystemView.from_layers(scans)
    os_info = detect_os(scans, view)
    records = _Records(scans)
    distro: dict[str, str] = {}
    unknown_os: set[str] = set()
    for family in ("deb", "apk", "rpm"):
        ecosystem, known = distro_ecosystem(os_info, family)
        distro[family] = ecosystem
        if not known:
            unknown_os.add(ecosystem)
    packages: list[InstalledPackage] = []
    note_paths: dict[str, list[str]] = defaultdict(list)
    families_seen: set[str] = set()
    for path in sorted(records.paths()):
        final = view.final(path)
        if final is None:
            continue
        _meta, layer = final
        for record in records.at.get((layer.index, path), ()):
            fmt = str(record["format"])
            if record["kind"] == "note":
                if fmt in OS_FORMATS:
                    raise PackageDataError(
                        f"package database {path} (layer {layer.index}, {layer.digest}) cannot "
                        f"be read: {record['detail']}"
                    )
                note_paths[str(record["note"])].append(f"{path}: {record['detail']}")
                continue
            if fmt in FAMILY:
                families_seen.add(FAMILY[fmt])
            layer_of = _attribution(view, records, path, fmt, layer.index)
            for doc in record["packages"]:
                package = FoundPackage.from_record(doc)
                attributed = view.layer(layer_of.get(_key(package), layer.index))
                packages.append(_installed(fmt, package, path, attributed, os_info, distro))
    notes = [
        ScanNote(kind=kind, count=len(items), detail=f"{NOTE_DETAIL.get(kind, kind)}: "
                 + "; ".join(items[:5]) + (f" (+{len(items) - 5} more)" if len(items) > 5 else ""))
        for kind, items in sorted(note_paths.items())
    ]
    unknown = sorted(distro[f] for f in families_seen if distro[f] in unknown_os)
    if unknown:
        what = os_info.pretty_name or os_info.id if os_info else "no os-release in the image"
        notes.append(ScanNote(
            kind=NOTE_OS_UNKNOWN, count=len(unknown),
            detail=f"OS packages listed as {', '.join(unknown)}: OSV has no ecosystem for "
            f"this OS ({what}); distro advisories will not match them",
        ))
    packages = _one_per_python_install(packages)
    packages.sort(key=_sort_key)
    return Inventory(source=source, os=os_info, packages=tuple(packages), notes=tuple(notes))


def _python_site(found_in: str) -> str:
    """The directory a Python distribution is installed in: the parent of its ``.dist-info`` or
    ``.egg-info`` (directory or file)."""
    parts = found_in.split("/")
    for i in range(len(parts) - 1, -1, -1):
        if parts[i].lower().endswith((".dist-info", ".egg-info")):
            return "/".join(parts[:i])
    return found_in


def _one_per_python_install(packages: list[InstalledPackage]) -> list[InstalledPackage]:
    """Debian's python3-* packages can ship both ``X.dist-info`` and ``X.egg-info`` for one
    installed distribution (python3-cryptography does): one package, not two, or each of its
    advisories is reported twice. The ``.dist-info`` is kept (it is what pip reads)."""
    best: dict[tuple[str, str, str], InstalledPackage] = {}
    out: list[InstalledPackage] = []
    for item in packages:
        ref = item.package
        if ref.ecosystem != LANGUAGE_ECOSYSTEMS["python"]:
            out.append(item)
            continue
        key = (_python_site(item.found_in), canonicalize_name(ref.name), ref.version)
        kept = best.get(key)
        if kept is None or (".dist-info" in item.found_in and ".dist-info" not in kept.found_in):
            best[key] = item
    return out + list(best.values())


def _sort_key(item: InstalledPackage) -> tuple[Any, ...]:
    p = item.package
    return (item.kind != "os", p.ecosystem, p.name, p.version, item.found_in)


def count_by(inventory: Inventory) -> Counter[str]:
    """Packages per ecosystem (reports and tests)."""
    return Counter(item.package.ecosystem for item in inventory.packages)
