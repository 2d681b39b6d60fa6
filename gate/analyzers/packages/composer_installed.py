"""PHP packages installed by Composer: ``vendor/composer/installed.json``.

Composer 1 writes a JSON array of packages; Composer 2 an object ``{"packages": [...],
"dev": ..., "dev-package-names": [...]}`` (composer ``src/Composer/Repository/
FilesystemRepository.php``). Each package has ``name`` (``vendor/project``), ``version``
(often ``v1.2.3``; Packagist advisories use ``1.2.3``) and ``license`` (a list). Development
packages are installed on disk too, so they are listed.
"""

from __future__ import annotations

from typing import Any

from gate.analyzers.packages.found import FoundPackage, PackageDataError, clean
from gate.analyzers.packages.json_metadata import licenses_value, load_json


def wants(path: str) -> bool:
    return path.endswith("/composer/installed.json")


def _version(raw: str) -> str:
    if len(raw) > 1 and raw[0] in "vV" and raw[1].isdigit():
        return raw[1:]
    return raw


def parse(path: str, data: bytes) -> list[FoundPackage]:
    doc = load_json(data)
    items: Any = doc.get("packages") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise PackageDataError("installed.json holds no package list")
    packages: list[FoundPackage] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        name = clean(item.get("name")) if isinstance(item.get("name"), str) else None
        raw = item.get("version")
        version = clean(_version(raw)) if isinstance(raw, str) else None
        if name is None or version is None:
            continue
        packages.append(
            FoundPackage(name=name, version=version, licenses=licenses_value(item.get("license")))
        )
    return packages
