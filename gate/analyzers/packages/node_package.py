"""Installed npm packages: ``node_modules/<name>/package.json`` and
``node_modules/@scope/<name>/package.json``, at any depth (nested dependencies, the global
``/usr/lib/node_modules`` and ``/usr/local/lib/node_modules``).

Only a package's root manifest counts: npm writes its ``name`` and ``version`` (npm docs,
"package.json"). Other ``package.json`` files inside a package (``lib/package.json`` with only
``"type": "module"``) or the application's own manifest outside ``node_modules`` are not
installed packages.
"""

from __future__ import annotations

import re

from gate.analyzers.packages.found import FoundPackage, PackageDataError, clean
from gate.analyzers.packages.json_metadata import licenses_value, load_json

_MANIFEST = re.compile(r"/node_modules/(?:@[^/]+/)?[^/@][^/]*/package\.json$")


def wants(path: str) -> bool:
    return path.endswith("/package.json") and _MANIFEST.search(path) is not None


def parse(path: str, data: bytes) -> list[FoundPackage]:
    doc = load_json(data)
    if not isinstance(doc, dict):
        raise PackageDataError("package.json is not a JSON object")
    name = doc.get("name")
    version = doc.get("version")
    if not isinstance(name, str) or not isinstance(version, str):
        # Workspace links and templates have no version: nothing installed to report.
        return []
    name_clean, version_clean = clean(name), clean(version)
    if name_clean is None or version_clean is None:
        return []
    licenses = licenses_value(doc.get("license", doc.get("licenses")))
    return [FoundPackage(name=name_clean, version=version_clean, licenses=licenses)]
