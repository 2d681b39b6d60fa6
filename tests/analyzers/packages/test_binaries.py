"""Go build info and cargo-auditable data read from real binaries, compared with
``go version -m``; composer's installed.json from a real ``composer install``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from gate.analyzers.packages import (
    composer_installed,
    executable,
    go_buildinfo,
    rust_auditable,
)
from gate.analyzers.packages.file_analyzer import PackageFileAnalyzer
from gate.sources.image.model import EntryMeta, EntryType
from tests.analyzers.packages import builders
from tests.analyzers.packages.helpers import require_tool

pytestmark = pytest.mark.slow


def _expected(binary: object) -> list[tuple[str, str]]:
    rows = builders.go_version_m(binary)  # type: ignore[arg-type]
    out = [("stdlib", rows[0][1].removeprefix("go"))]
    out += [(m, go_buildinfo.go_version(v)) for m, v in rows[1:] if v and v != "(devel)"]
    return sorted(out)


@pytest.mark.parametrize("target", builders.GO_TARGETS)
def test_go_inline_build_info_matches_go_version_m(target: str) -> None:
    binary = builders.go_binaries() / f"app-{target.replace('/', '-')}"
    data = binary.read_bytes()
    exe = executable.parse_executable(data)
    assert exe is not None and exe.format == {"linux": "elf", "windows": "pe",
                                              "darwin": "macho"}[target.split("/")[0]]
    found = sorted((p.name, p.version) for p in go_buildinfo.parse(str(binary), data))
    assert found == _expected(binary)
    names = dict(found)
    assert names["example.com/greet"] == "1.4.2"
    assert names["example.com/colour-fork"] == "0.3.1"  # the replacement is what is compiled in
    assert "example.com/colour" not in names and "example.com/app" not in names


@pytest.mark.parametrize("package", sorted(builders.ESBUILD))
def test_go_pointer_format_of_go_1_17_release_binaries(package: str) -> None:
    binary = builders.esbuild_binaries() / package
    data = binary.read_bytes()
    start = go_buildinfo.find_header(data)
    assert start is not None and not data[start + 15] & 0x2  # not the inline (1.18+) form
    found = sorted((p.name, p.version) for p in go_buildinfo.parse(str(binary), data))
    assert found == _expected(binary)
    assert ("stdlib", "1.17.2") in found


def test_go_binary_through_the_file_analyzer() -> None:
    binary = builders.go_binaries() / "app-linux-amd64"
    data = binary.read_bytes()
    meta = EntryMeta(path="/usr/local/bin/app", type=EntryType.FILE, mode=0o755, size=len(data))
    analyzer = PackageFileAnalyzer()
    assert analyzer.wants(meta)
    (record,) = analyzer.scan_file(meta, data)
    assert record["format"] == "go" and len(record["packages"]) == 3
    # Read only in part (a binary larger than the walk's max read): noted, never dropped.
    big = EntryMeta(path="/usr/local/bin/app", type=EntryType.FILE, mode=0o755,
                    size=len(data) * 10)
    (note,) = analyzer.scan_file(big, data[:4096])
    assert note["kind"] == "note" and note["note"] == "package-file-too-large"


def test_rust_auditable_section() -> None:
    binary = builders.rust_auditable_binary()
    data = binary.read_bytes()
    assert rust_auditable.has_marker(data)
    found = sorted((p.name, p.version) for p in rust_auditable.parse(str(binary), data))
    # The local root crate and the build-time dependency (cc) are not listed.
    assert found == [("aho-corasick", "1.1.1"), ("regex", "1.9.5"), ("serde", "1.0.188")]
    meta = EntryMeta(path="/usr/bin/hello", type=EntryType.FILE, mode=0o755, size=len(data))
    (record,) = PackageFileAnalyzer().scan_file(meta, data)
    assert record["format"] == "rust"


@pytest.mark.parametrize("target", ["windows-amd64", "darwin-arm64"])
def test_rust_audit_section_in_pe_and_mach_o(target: str, tmp_path: Path) -> None:
    # rustc here targets Linux only; llvm-objcopy adds the same section to real PE and Mach-O
    # executables (Mach-O: segment __DATA, as cargo-auditable's object file places it).
    objcopy = require_tool("llvm-objcopy", "llvm")
    payload = builders.rust_auditable_binary().parent / "deps.zlib"
    source = builders.go_binaries() / f"app-{target}"
    out = tmp_path / "with-audit-data"
    section = ".dep-v0" if target.startswith("windows") else "__DATA,.dep-v0"
    subprocess.run([objcopy, "--add-section", f"{section}={payload}", str(source), str(out)],
                   check=True, capture_output=True)
    data = out.read_bytes()
    exe = executable.parse_executable(data)
    assert exe is not None and exe.section(".dep-v0") is not None
    found = sorted((p.name, p.version) for p in rust_auditable.parse(str(out), data))
    assert found == [("aho-corasick", "1.1.1"), ("regex", "1.9.5"), ("serde", "1.0.188")]
    # The Go build info of the same file is still read: one file, two records.
    meta = EntryMeta(path="/app/x", type=EntryType.FILE, mode=0o755, size=len(data))
    assert sorted(r["format"] for r in PackageFileAnalyzer().scan_file(meta, data)) == [
        "go", "rust"]


def test_composer_installed_json_v2_and_v1() -> None:
    installed = builders.composer_project() / "vendor/composer/installed.json"
    data = installed.read_bytes()
    assert composer_installed.wants("/var/www/vendor/composer/installed.json")
    found = sorted((p.name, p.version, p.licenses)
                   for p in composer_installed.parse(str(installed), data))
    assert found == [("acme/http", "2.0.1", ("Apache-2.0", "MIT")),
                     ("acme/log", "1.4.2", ("MIT",))]
    # Composer 1 wrote the same package objects as a bare array (Composer 2 UPGRADE notes).
    v1 = json.dumps(json.loads(data)["packages"]).encode()
    assert sorted((p.name, p.version, p.licenses)
                  for p in composer_installed.parse(str(installed), v1)) == found
