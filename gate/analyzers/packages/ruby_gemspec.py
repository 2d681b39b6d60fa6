"""Installed Ruby gems: ``specifications/<name>-<version>.gemspec`` (and
``specifications/default/`` for default gems) under a RubyGems directory.

RubyGems writes these with ``Gem::Specification#to_ruby``: Ruby source whose ``s.name = "x"``,
``s.version = "1.2.3"`` and ``s.licenses = ["MIT"]`` lines (``.freeze`` suffixes allowed) carry
the facts; older ones start with a ``# stub: name version platform paths`` comment. The file is
never evaluated: only these assignments are read.
"""

from __future__ import annotations

import re

from gate.analyzers.packages.found import FoundPackage, PackageDataError, clean

_PATH = re.compile(r"/specifications/(?:default/)?[^/]+\.gemspec$")
_STRING = r"""["']([^"'\n]+)["'](?:\.freeze)?"""
_NAME = re.compile(r"^\s*\w+\.name\s*=\s*" + _STRING, re.MULTILINE)
_VERSION = re.compile(
    r"^\s*\w+\.version\s*=\s*(?:Gem::Version\.new\(\s*)?" + _STRING, re.MULTILINE
)
_LICENSES = re.compile(r"^\s*\w+\.licen[sc]es?\s*=\s*\[?([^\]\n]*)\]?", re.MULTILINE)
_STUB = re.compile(r"^# stub: (\S+) (\S+)", re.MULTILINE)
_QUOTED = re.compile(r"""["']([^"']+)["']""")


def wants(path: str) -> bool:
    return path.endswith(".gemspec") and _PATH.search(path) is not None


def parse(path: str, data: bytes) -> list[FoundPackage]:
    text = data.decode("utf-8", "replace")
    name_match, version_match = _NAME.search(text), _VERSION.search(text)
    name = clean(name_match.group(1)) if name_match else None
    version = clean(version_match.group(1)) if version_match else None
    if name is None or version is None:
        stub = _STUB.search(text)
        if stub:
            name, version = name or stub.group(1), version or stub.group(2)
    if name is None or version is None:
        raise PackageDataError("gemspec without s.name or s.version")
    licenses: list[str] = []
    for match in _LICENSES.finditer(text):
        licenses.extend(v for v in (clean(q) for q in _QUOTED.findall(match.group(1))) if v)
    return [FoundPackage(name=name, version=version, licenses=tuple(dict.fromkeys(licenses)))]
