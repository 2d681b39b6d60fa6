"""Java archives: a real Debian jar (commons-lang3), nested in a war and an ear, the manifest
fallback on real manifests of syft's fixtures, and the caps on nesting and inflation."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from gate.analyzers.packages import java_archive
from gate.analyzers.packages.found import PackageDataError
from tests.analyzers.packages.helpers import PKGDB

DEBIAN_JAR = Path("/usr/share/java/commons-lang3.jar")


def _real_jar() -> bytes:
    if not DEBIAN_JAR.is_file():
        pytest.fail(f"{DEBIAN_JAR} missing: apt-get install libcommons-lang3-java "
                    "(scripts/test.sh does)")
    return DEBIAN_JAR.read_bytes()


def _zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def _without_maven_metadata(jar: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(jar))
    return _zip({i.filename: source.read(i) for i in source.infolist()
                 if not i.filename.startswith("META-INF/maven/") and not i.is_dir()})


def test_real_jar_pom_properties() -> None:
    (pkg,) = java_archive.parse("/usr/share/java/commons-lang3.jar", _real_jar())
    assert (pkg.name, pkg.version, pkg.location) == (
        "org.apache.commons:commons-lang3", "3.12.0", None)


def test_nested_in_war_and_ear() -> None:
    jar = _real_jar()
    war = _zip({"WEB-INF/web.xml": b"<web-app/>",
                "WEB-INF/lib/commons-lang3-3.12.0.jar": jar,
                "META-INF/maven/com.example/shop/pom.properties":
                    b"groupId=com.example\nartifactId=shop\nversion=1.0.0\n"})
    ear = _zip({"shop.war": war, "lib/commons-lang3-3.12.0.jar": jar})
    found = sorted((p.name, p.version, p.location or "")
                   for p in java_archive.parse("/srv/app.ear", ear))
    assert found == [
        ("com.example:shop", "1.0.0", "shop.war"),
        ("org.apache.commons:commons-lang3", "3.12.0", "lib/commons-lang3-3.12.0.jar"),
        ("org.apache.commons:commons-lang3", "3.12.0",
         "shop.war!/WEB-INF/lib/commons-lang3-3.12.0.jar"),
    ]


def test_manifest_fallback_on_real_manifests(shared_data: Path) -> None:
    stripped = _without_maven_metadata(_real_jar())
    (pkg,) = java_archive.parse("/opt/lib/commons-lang3-3.12.0.jar", stripped)
    # Bundle-SymbolicName org.apache.commons.lang3, Implementation-Version 3.12.0
    assert (pkg.name, pkg.version) == ("org.apache.commons:commons-lang3", "3.12.0")
    base = shared_data / PKGDB / "syft/syft/pkg/cataloger/java/testdata/jar-metadata"
    manifest = (base / "jackson-core-2.15.2/META-INF/MANIFEST.MF").read_bytes()
    (pkg,) = java_archive.parse("/x/jackson-core-2.15.2.jar",
                                _zip({"META-INF/MANIFEST.MF": manifest}))
    assert (pkg.name, pkg.version) == ("com.fasterxml.jackson.core:jackson-core", "2.15.2")
    # osv-scalibr's axis manifest: a version with spaces is not one; the file name has it.
    axis = (shared_data / PKGDB / "osv-scalibr/extractor/filesystem/language/java/archive/"
            "testdata/axis/MANIFEST.MF").read_bytes()
    (pkg,) = java_archive.parse("/x/axis-1.4.jar", _zip({"META-INF/MANIFEST.MF": axis}))
    assert (pkg.name, pkg.version) == ("axis", "1.4")


def test_shaded_jar_lists_every_pom(shared_data: Path) -> None:
    base = (shared_data / PKGDB / "syft/syft/pkg/cataloger/java/testdata/jar-metadata/"
            "multiple-matching-2.11.5/META-INF")
    entries = {f"META-INF/{p.relative_to(base).as_posix()}": p.read_bytes()
               for p in base.rglob("*") if p.is_file()}
    found = sorted((p.name, p.version) for p in java_archive.parse("/x/m.jar", _zip(entries)))
    assert [name for name, _ in found] == [
        "org.multiple:multiple-matching-1", "org.multiple:multiple-matching-2",
        "org.multiple:multiple-matching-3"]


def test_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(java_archive, "MAX_ENTRY_BYTES", 4 * 1024 * 1024)
    jar = _real_jar()
    nested = jar
    for depth in range(java_archive.MAX_DEPTH + 2):
        nested = _zip({f"lib/level{depth}.jar": nested}, zipfile.ZIP_STORED)
    scan = java_archive.parse_archive("/deep.jar", nested)
    assert scan.packages == []
    assert any("nested deeper" in problem for problem in scan.problems)
    # A zip bomb: an entry that inflates past the per-entry cap is skipped and noted.
    bomb = _zip({"lib/bomb.jar": b"\0" * (java_archive.MAX_ENTRY_BYTES + 1)})
    assert len(bomb) < 20_000
    scan = java_archive.parse_archive("/bomb.war", bomb)
    assert scan.packages == [] and "inflates" in scan.problems[0]
    with pytest.raises(PackageDataError):
        java_archive.parse("/bad.jar", b"PK\x03\x04 not really a zip")
    corrupt_inner = _zip({"WEB-INF/lib/broken.jar": b"garbage", "WEB-INF/lib/ok.jar": jar})
    scan = java_archive.parse_archive("/app.war", corrupt_inner)
    assert [p.name for p in scan.packages] == ["org.apache.commons:commons-lang3"]
    assert scan.problems and "broken.jar" in scan.problems[0]


class _Stream(io.RawIOBase):
    """A non-seekable sink: zipfile then writes data descriptors, as `jar` and Maven do."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: object) -> int:
        chunk = bytes(b)  # type: ignore[call-overload]
        self.data += chunk
        return len(chunk)


def test_archive_larger_than_the_walk_reads() -> None:
    from gate.analyzers.packages.file_analyzer import PackageFileAnalyzer
    from gate.sources.image.model import EntryMeta, EntryType

    jar = _real_jar()
    sink = _Stream()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("META-INF/maven/com.example/fat/pom.properties", "w") as handle:
            handle.write(b"groupId=com.example\nartifactId=fat\nversion=2.1.0\n")
        with archive.open("BOOT-INF/lib/commons-lang3-3.12.0.jar", "w") as handle:
            handle.write(jar)
        with archive.open("BOOT-INF/classes/blob.bin", "w") as handle:
            handle.write(bytes(range(256)) * 20_000)
        with archive.open("BOOT-INF/lib/after-the-cut.jar", "w") as handle:
            handle.write(jar)
    fat = bytes(sink.data)
    cut = fat.index(b"BOOT-INF/classes/blob.bin") + 1000  # inside the third entry
    meta = EntryMeta(path="/app/app.jar", type=EntryType.FILE, mode=0o644, size=len(fat))
    records = PackageFileAnalyzer().scan_file(meta, fat[:cut])
    packages = [r for r in records if r["kind"] == "packages"]
    notes = [r for r in records if r["kind"] == "note"]
    assert [(p["name"], p.get("location")) for p in packages[0]["packages"]] == [
        ("com.example:fat", None),
        ("org.apache.commons:commons-lang3", "BOOT-INF/lib/commons-lang3-3.12.0.jar")]
    assert [n["note"] for n in notes] == ["package-file-too-large"]
    # The whole archive through its central directory: the fourth entry is there too.
    assert len(java_archive.parse("/app/app.jar", fat)) == 3
