"""Language package metadata: Python, npm, RubyGems, .NET, from the scanners' real fixtures."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gate.analyzers.packages import (
    dotnet_deps,
    node_package,
    python_metadata,
    ruby_gemspec,
)
from gate.analyzers.packages.found import PackageDataError
from tests.analyzers.packages.helpers import PKGDB

_DIST_DIR = re.compile(r"^(?P<name>[^/]+?)-(?P<version>\d[^-/]*?)\.(dist|egg)-info$", re.I)


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503


def test_python_metadata_matches_its_directory_name(shared_data: Path) -> None:
    """pip names the directory ``<name>-<version>.dist-info`` from the same metadata."""
    root = shared_data / PKGDB
    checked = 0
    for path in sorted(root.rglob("*")):
        rel = "/" + path.relative_to(root).as_posix()
        if not path.is_file() or not python_metadata.wants(rel):
            continue
        match = _DIST_DIR.match(path.parent.name)
        if not match:
            continue
        (pkg,) = python_metadata.parse(rel, path.read_bytes())
        assert _normalize(pkg.name) == _normalize(match.group("name")), rel
        assert pkg.version == match.group("version"), rel
        checked += 1
    assert checked >= 11


def test_python_licenses_and_forms(shared_data: Path) -> None:
    base = shared_data / PKGDB
    flask = base / ("trivy/pkg/fanal/analyzer/language/python/pip/testdata/libs/common-dir/lib/"
                    "site-packages/Flask-2.0.0.dist-info/METADATA")
    (pkg,) = python_metadata.parse(str(flask), flask.read_bytes())
    assert (pkg.name, pkg.version, pkg.licenses) == ("Flask", "2.0.0", ("BSD-3-Clause",))
    setuptools = base / ("trivy/pkg/fanal/analyzer/language/python/packaging/testdata/"
                         "classifier-license-dist/setuptools-51.3.3.dist-info/METADATA")
    (pkg,) = python_metadata.parse(str(setuptools), setuptools.read_bytes())
    assert pkg.licenses == ("MIT License",)  # from the License :: classifier
    # distutils' single-file form: site-packages/Python-2.7.egg-info is the PKG-INFO itself.
    single = base / "syft/syft/pkg/cataloger/python/testdata/Python-2.7.egg-info"
    assert python_metadata.wants("/usr/lib/python2.7/lib-dynload/Python-2.7.egg-info")
    (pkg,) = python_metadata.parse(str(single), single.read_bytes())
    assert (pkg.name, pkg.version) == ("Python", "2.7.13")
    # syft's uppercase EGG-INFO inside an .egg directory
    egg = base / "syft/syft/pkg/cataloger/python/testdata/site-packages/uppercase/egg-name/EGG-INFO"
    assert python_metadata.wants("/usr/lib/python3/site-packages/x.egg/EGG-INFO/PKG-INFO")
    (pkg,) = python_metadata.parse(str(egg), (egg / "PKG-INFO").read_bytes())
    assert (pkg.name, pkg.version) == ("requests", "2.22.0")


def test_python_without_version(shared_data: Path) -> None:
    path = (shared_data / PKGDB / "syft/syft/pkg/cataloger/python/testdata/site-packages/"
            "no-version/no-version-py3.8.egg-info")
    with pytest.raises(PackageDataError):
        python_metadata.parse(str(path), path.read_bytes())


def _lock_version(lock: dict[str, object], rel: str) -> str:
    """Version of node_modules/a/node_modules/b in a lockfile v1 ``dependencies`` tree."""
    names = rel.split("node_modules/")[1:]
    node: object = lock
    for name in names:
        name = name.rstrip("/").removesuffix("/package.json")
        assert isinstance(node, dict)
        node = node["dependencies"][name]
    assert isinstance(node, dict)
    return str(node["version"])


def test_node_modules_match_the_lockfile(shared_data: Path) -> None:
    happy = shared_data / PKGDB / "trivy/pkg/fanal/analyzer/language/nodejs/npm/testdata/happy"
    lock = json.loads((happy / "package-lock.json").read_text())
    manifests = sorted(happy.rglob("package.json"))
    checked = 0
    for path in manifests:
        rel = "/app/" + path.relative_to(happy).as_posix()
        if not node_package.wants(rel):
            continue
        (pkg,) = node_package.parse(rel, path.read_bytes())
        assert pkg.version == _lock_version(lock, rel), rel
        checked += 1
    assert checked == 8
    scoped = happy / "node_modules/@babel/parser/package.json"
    (pkg,) = node_package.parse(str(scoped), scoped.read_bytes())
    assert pkg.name == "@babel/parser"


def test_node_wants_only_package_roots() -> None:
    assert node_package.wants("/usr/lib/node_modules/npm/package.json")
    assert node_package.wants("/app/node_modules/@types/node/package.json")
    assert node_package.wants("/app/node_modules/a/node_modules/b/package.json")
    assert not node_package.wants("/app/package.json")
    assert not node_package.wants("/app/node_modules/a/lib/package.json")
    assert not node_package.wants("/app/node_modules/@scope/package.json")


def test_node_licenses_and_bad_manifests(shared_data: Path) -> None:
    base = shared_data / PKGDB / "syft/syft/pkg/cataloger/javascript/testdata/pkg-json"
    (pkg,) = node_package.parse("x", (base / "package-license-object.json").read_bytes())
    assert pkg.licenses == ("ISC",)
    (pkg,) = node_package.parse("x", (base / "package-license-objects.json").read_bytes())
    assert pkg.licenses == ("MIT", "Apache-2.0")
    invalid = shared_data / PKGDB / ("osv-scalibr/extractor/filesystem/language/javascript/"
                                     "packagejson/testdata/invalid")
    with pytest.raises(PackageDataError):
        node_package.parse("x", invalid.read_bytes())
    assert node_package.parse("x", b'{"type": "module"}') == []


def test_gemspec(shared_data: Path) -> None:
    path = (shared_data / PKGDB / "grype-image-fixtures/test/integration/testdata/"
            "image-debian-match-coverage/ruby/specifications/bundler.gemspec")
    assert ruby_gemspec.wants("/usr/local/bundle/specifications/bundler-2.1.4.gemspec")
    assert ruby_gemspec.wants("/usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec")
    assert not ruby_gemspec.wants("/app/foo.gemspec")
    (pkg,) = ruby_gemspec.parse(str(path), path.read_bytes())
    assert (pkg.name, pkg.version, pkg.licenses) == ("bundler", "2.1.4", ("MIT",))
    with pytest.raises(PackageDataError):
        ruby_gemspec.parse("x", b"Gem::Specification.new do |s|\nend\n")


def test_dotnet_deps(shared_data: Path) -> None:
    path = (shared_data / PKGDB / "grype-image-fixtures/test/integration/testdata/"
            "image-debian-match-coverage/dotnet/TestLibrary.deps.json")
    doc = json.loads(path.read_text())
    expected = sorted(
        tuple(key.split("/")) for key, lib in doc["libraries"].items() if lib["type"] == "package"
    )
    found = dotnet_deps.parse(str(path), path.read_bytes())
    assert sorted((p.name, p.version) for p in found) == expected
    # The project itself (type "project") is not a NuGet package; targets-only entries are not
    # in "libraries", which is what the runtime loads from (this fixture is pruned).
    assert expected == [("AWSSDK.Core", "3.7.10.6")]
    with pytest.raises(PackageDataError):
        dotnet_deps.parse("x", b'{"targets": {}}')
