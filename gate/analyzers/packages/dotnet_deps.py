""".NET dependencies: ``<app>.deps.json`` written next to every published .NET application.

The ``libraries`` object maps ``"Name/Version"`` to ``{"type": "package" | "project" |
"reference", ...}`` (dotnet/sdk ``documentation/specs/runtime-configuration-file.md``, "deps.json").
``package`` entries are NuGet packages; ``project`` is the application itself and
``reference`` an assembly reference, neither of which a NuGet advisory can name.
"""

from __future__ import annotations

from gate.analyzers.packages.found import FoundPackage, PackageDataError, clean
from gate.analyzers.packages.json_metadata import load_json


def wants(path: str) -> bool:
    return path.endswith(".deps.json")


def parse(path: str, data: bytes) -> list[FoundPackage]:
    doc = load_json(data)
    libraries = doc.get("libraries") if isinstance(doc, dict) else None
    if not isinstance(libraries, dict):
        raise PackageDataError("deps.json has no libraries object")
    packages: list[FoundPackage] = []
    for key, entry in libraries.items():
        if not isinstance(entry, dict) or entry.get("type") != "package":
            continue
        name, sep, version = str(key).partition("/")
        name_clean, version_clean = clean(name), clean(version)
        if not sep or name_clean is None or version_clean is None:
            continue
        packages.append(FoundPackage(name=name_clean, version=version_clean))
    return packages
